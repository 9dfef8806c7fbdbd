using System.Management.Automation;
using System.Security;
using OpenChat.Cmdlets.Completion;
using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

/// <summary>Renews an identity's certificate now, with the same key: over the open session of
/// that identity in this runspace if there is one (no reconnect), else over a connection of its
/// own. An expired certificate renews within the server's grace window. With -NewKey the device
/// moves to a new key, handed over by the current one, with no session of it open.</summary>
[Cmdlet(VerbsData.Update, "ChatIdentity", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatIdentity))]
public sealed class UpdateChatIdentityCommand : ChatCmdlet
{
    /// <summary>Which enrolled identity (name, user name or profile directory).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    [ArgumentCompleter(typeof(IdentityCompleter))]
    public string? Identity { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProfilePath { get; set; }

    /// <summary>The password of the identity's key, when it is encrypted and no session of it is open.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary>host:port to connect to instead of the address stored with the identity.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerCompleter))]
    public string? Server { get; set; }

    [Parameter]
    [ValidateRange(1, 300)]
    public int TimeoutSeconds { get; set; } = 15;

    /// <summary>Move the device to a new key (contacts see "renewed its key").</summary>
    [Parameter]
    public SwitchParameter NewKey { get; set; }

    protected override void ProcessRecord()
    {
        ChatProfile profile;
        try
        {
            profile = ChatProfile.Find(ResolveIdentity(Identity), ProfilePath is null ? null : ResolvePath(ProfilePath));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, Identity);
            return;
        }

        string serial;
        using (var current = profile.LoadPublicCertificate())
        {
            serial = current.SerialNumber;
        }

        if (!ShouldProcess($"'{profile.Name}' (certificate {serial})", NewKey ? "Renew the certificate with a new key" : "Renew the certificate (same key)"))
        {
            return;
        }

        try
        {
            var session = SessionRegistry.All().FirstOrDefault(s => s.State != ChatClientState.Closed
                && string.Equals(s.Client.Profile.Path, profile.Path, StringComparison.Ordinal));
            if (session is not null && NewKey)
            {
                // The session holds the key and the end-to-end files that move with it.
                throw new OpenChatException(ErrorIds.ProfileInUse, ErrorKind.InvalidOperation,
                    $"The identity '{profile.Name}' is connected in session {session.Id}. A move to a new key needs it closed: run Disconnect-ChatRoom, then Update-ChatIdentity -NewKey, then connect again.");
            }

            if (session is not null)
            {
                WriteVerbose($"Renewing over the open session {session.Id} of '{profile.Name}'.");
                Await(token => session.Client.RenewCertificateAsync(token)).Dispose();
                WriteDeferred(session.Log);
            }
            else
            {
                RenewOffline(profile);
            }

            WriteObject(new ChatIdentity(ChatProfile.Open(profile.Path)));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, profile.Name);
        }
    }

    private void RenewOffline(ChatProfile profile)
    {
        char[] password = [];
        try
        {
            using (var typed = Password is null ? ProfilePasswordPrompt.Ask(Host, profile, out _) : null)
            {
                password = PasswordChars(Password ?? typed);
            }

            var log = new DeferredLogger();
            var options = new ChatClientOptions
            {
                Server = Server,
                ConnectTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
                LoggerFactory = new DeferredLoggerFactory(log),
            };
            WriteVerbose(NewKey ? $"Moving '{profile.Name}' to a new key over a connection of its own." : $"Renewing '{profile.Name}' over a connection of its own.");
            try
            {
                Await(token => NewKey
                    ? IdentityRenewal.RenewWithNewKeyAsync(profile, password, options, token)
                    : IdentityRenewal.RenewAsync(profile, password, options, token)).Dispose();
            }
            finally
            {
                WriteDeferred(log);
            }
        }
        finally
        {
            Array.Clear(password);
        }
    }
}
