using System.Management.Automation;
using System.Security;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsLifecycle.Register, "ChatUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = InviteSet)]
[OutputType(typeof(ChatIdentity))]
public sealed class RegisterChatUserCommand : ChatCmdlet
{
    private const string InviteSet = "Invite";
    private const string CertificateSet = "Certificate";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = InviteSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Invite { get; set; } = "";

    /// <summary>A PKCS#12 (.pfx) from New-ChatCertificate, or a PEM certificate signed from a CSR.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet, ValueFromPipelineByPropertyName = true)]
    [Alias("OutFile", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Certificate { get; set; } = "";

    /// <summary>The PEM private key made with the CSR, when it is not in the certificate file.</summary>
    [Parameter(ParameterSetName = CertificateSet)]
    [ValidateNotNullOrEmpty]
    public string? KeyFile { get; set; }

    /// <summary>Opens the PKCS#12 file (or an encrypted PEM key).</summary>
    [Parameter(ParameterSetName = CertificateSet)]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>The address the identity connects to, host:port.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet)]
    [ValidateNotNullOrEmpty]
    public string Server { get; set; } = "";

    /// <summary>The CA's SHA-256 fingerprint, from the admin by another channel than the file.</summary>
    [Parameter(ParameterSetName = CertificateSet)]
    [ValidateNotNullOrEmpty]
    public string? CaFingerprint { get; set; }

    /// <summary>An existing identity to re-enroll with the invite (for the same user): it keeps
    /// its key, contacts, history and verification marks; only its certificate (and the pinned
    /// CA, to what the invite pins) is replaced. For a certificate past the renewal grace window.</summary>
    [Parameter(ParameterSetName = InviteSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IdentityCompleter))]
    public string? Identity { get; set; }

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
        if (ParameterSetName == CertificateSet)
        {
            RegisterCertificate(root);
            return;
        }

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

        if (Identity is not null)
        {
            Reenroll(root, invite);
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

    private void Reenroll(string? root, Engine.Pki.InviteCode invite)
    {
        ChatProfile profile;
        try
        {
            profile = ChatProfile.Find(ResolveIdentity(Identity), root);
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, Identity);
            return;
        }

        if (!ShouldProcess($"'{profile.Name}' with the invite for '{invite.UserName}' on {invite.Server}", "Re-enroll (same key, new certificate)"))
        {
            return;
        }

        var password = PasswordChars(Password);
        try
        {
            var renewed = Await(token => ChatEnrollment.ReenrollAsync(Invite, profile, password, TimeSpan.FromSeconds(TimeoutSeconds), token));
            WriteObject(new ChatIdentity(renewed));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, profile.Name);
        }
        finally
        {
            Array.Clear(password);
        }
    }

    private void RegisterCertificate(string? root)
    {
        var path = ResolvePath(Certificate);
        if (!ShouldProcess($"'{path}' for {Server}", "Create an identity from a certificate file"))
        {
            return;
        }

        var password = PasswordChars(Password);
        try
        {
            var pin = CaFingerprint is null ? null : CertificateRegistration.ParseFingerprint(CaFingerprint);
            using var file = WithPassword(CertificatePassword, chars => IdentityFile.Read(path, chars, KeyFile is null ? null : ResolvePath(KeyFile)));
            var profile = CertificateRegistration.Register(file, Server, pin, root, password);
            if (pin is null)
            {
                // The file's password proves only that someone who knows it made the file; when the
                // admin gave one password to many people, any of them could have put in another CA.
                WriteWarning($"Pinned the CA carried in '{path}', fingerprint {Engine.Pki.CaDirectory.FormatFingerprint(profile.CaFingerprint)}. "
                    + "Compare it with the fingerprint your admin gives you (Get-ChatCertificateAuthority on the server), or register with -CaFingerprint.");
            }

            WriteObject(new ChatIdentity(profile));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, path);
        }
        finally
        {
            Array.Clear(password);
        }
    }
}
