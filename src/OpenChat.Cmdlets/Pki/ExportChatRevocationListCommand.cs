using System.Management.Automation;
using System.Security;
using OpenChat.Engine.Pki;

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
            // A CRL is public: it is written with the usual file mode so it can be served as is.
            if (Encoding == CrlEncoding.Der)
            {
                File.WriteAllBytes(outFile, list.Der);
            }
            else
            {
                File.WriteAllText(outFile, list.ToPem());
            }

            WriteObject(new ChatRevocationList(list, outFile));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, outFile);
        }
    }
}
