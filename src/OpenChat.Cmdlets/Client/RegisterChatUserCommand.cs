using System.Management.Automation;
using System.Security;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsLifecycle.Register, "ChatUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatIdentity))]
public sealed class RegisterChatUserCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Invite { get; set; } = "";

    /// <summary>The folder that holds identities; default $env:OPENCHAT_HOME, else ~/.openchat.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProfilePath { get; set; }

    /// <summary>Encrypts the new private key at rest.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    [Parameter]
    [ValidateRange(1, 300)]
    public int TimeoutSeconds { get; set; } = 15;

    protected override void ProcessRecord()
    {
        var root = ProfilePath is null ? null : ResolvePath(ProfilePath);
        Engine.Pki.InviteCode invite;
        try
        {
            invite = Engine.Pki.InviteCode.Parse(Invite);
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, null);
            return;
        }

        if (!ShouldProcess($"'{invite.UserName}' on {invite.Server}", "Enroll (generate a key here, send a certificate request)"))
        {
            return;
        }

        var password = PasswordChars(Password);
        try
        {
            var profile = Await(token => ChatEnrollment.RegisterAsync(Invite, root, password, TimeSpan.FromSeconds(TimeoutSeconds), token));
            WriteObject(new ChatIdentity(profile));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, invite.UserName);
        }
        finally
        {
            Array.Clear(password);
        }
    }
}
