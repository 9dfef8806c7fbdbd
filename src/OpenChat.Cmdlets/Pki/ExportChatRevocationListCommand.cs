using System.Management.Automation;
using System.Security;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Cmdlets.Pki;

public enum CrlEncoding
{
    Pem,
    Der,
}

[Cmdlet(VerbsData.Export, "ChatRevocationList", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatRevocationList))]
public sealed class ExportChatRevocationListCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Where to write the CRL; by default ca.crl.pem in the data directory.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    [Parameter]
    public CrlEncoding Encoding { get; set; } = CrlEncoding.Pem;

    [Parameter]
    [ValidateRange(1, 366)]
    public int ValidDays { get; set; } = 7;

    [Parameter]
    public SecureString? CAPassword { get; set; }

    protected override void EndProcessing()
    {
        var directory = new CaDirectory(ResolvePath(Path));
        var outFile = OutFile is null ? directory.CrlPath : ResolvePath(OutFile);
        if (!ShouldProcess(outFile, "Write certificate revocation list"))
        {
            return;
        }

        try
        {
            using var ca = WithPassword(CAPassword, password => CertificateAuthority.Open(directory, password));
            var list = ca.CreateRevocationList(TimeSpan.FromDays(ValidDays));
            if (Encoding == CrlEncoding.Der)
            {
                SecureFile.WriteAllBytes(outFile, list.Der, overwrite: true);
            }
            else
            {
                SecureFile.WriteAllText(outFile, list.ToPem(), overwrite: true);
            }

            WriteObject(new ChatRevocationList(list, outFile));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, outFile);
        }
    }
}
