using System.Management.Automation;
using System.Security;
using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.New, "ChatCertificateAuthority", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ChatCertificateAuthority))]
public sealed class NewChatCertificateAuthorityCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter]
    public SecureString? Password { get; set; }

    [Parameter]
    [ValidateRange(1, CertificateAuthority.MaxCaValidDays)]
    public int ValidDays { get; set; } = CertificateAuthority.DefaultCaValidDays;

    [Parameter]
    public CaKeyAlgorithm KeyAlgorithm { get; set; } = CaKeyAlgorithm.P256;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        var path = ResolvePath(Path);
        var directory = new CaDirectory(path);
        var replacing = directory.HasCa;
        if (replacing && !Force)
        {
            ThrowFailure(new OpenChatException(ErrorIds.CaAlreadyExists, ErrorKind.AlreadyExists,
                $"'{path}' already holds a certificate authority. Use -Force to replace it (the old one is moved to a 'replaced-…' subdirectory, and every certificate it issued stops working)."), path);
        }

        if (replacing)
        {
            if (!ShouldProcess(path, "Replace the existing certificate authority"))
            {
                return;
            }

            var confirmedOff = MyInvocation.BoundParameters.TryGetValue("Confirm", out var confirm) && confirm is SwitchParameter { IsPresent: false };
            if (!confirmedOff && !ShouldContinue(
                    $"Replacing the CA in '{path}' invalidates every certificate and invite it issued. Continue?",
                    "Replace certificate authority"))
            {
                return;
            }
        }
        else if (!ShouldProcess(path, $"Create certificate authority '{Name}'"))
        {
            return;
        }

        try
        {
            var created = WithPassword(Password, password =>
                CertificateAuthority.Create(path, Name, password, KeyAlgorithm, ValidDays, replaceExisting: replacing));
            WriteObject(new ChatCertificateAuthority(created));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
        }
    }
}
