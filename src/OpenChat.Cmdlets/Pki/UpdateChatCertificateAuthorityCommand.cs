using System.Management.Automation;
using System.Security;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

/// <summary>Rolls the CA over to a new root (see CaRollover in the engine); the server must be stopped.</summary>
[Cmdlet(VerbsData.Update, "ChatCertificateAuthority", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ChatCaRollover))]
public sealed class UpdateChatCertificateAuthorityCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The current CA key's password.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary>The password both keys are stored under afterwards; the current one when omitted.</summary>
    [Parameter]
    public SecureString? NewPassword { get; set; }

    [Parameter]
    [ValidateRange(1, CertificateAuthority.MaxCaValidDays)]
    public int ValidDays { get; set; } = CertificateAuthority.DefaultCaValidDays;

    protected override void EndProcessing()
    {
        var path = ResolvePath(Path);
        if (!ShouldProcess(path, "Replace the CA's root with a new one, cross-certified by the current root"))
        {
            return;
        }

        try
        {
            var result = WithPassword(Password, password => WithPassword(NewPassword, newPassword =>
                OpenChat.Engine.Server.ChatServer.RollOverCertificateAuthority(path, password, newPassword, keepPassword: NewPassword is null, ValidDays)));
            WriteObject(new ChatCaRollover(path, result));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
        }
    }
}
