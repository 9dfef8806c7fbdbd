using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Cmdlets.Diagnostics;
using System.Security;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommunications.Connect, "ChatRoom")]
[OutputType(typeof(ChatSession))]
public sealed class ConnectChatRoomCommand : ChatCmdlet
{
    /// <summary>Existing rooms to join (a missing one is RoomNotFound: rooms are created with New-ChatRoom).</summary>
    [Parameter(Position = 0)]
    public string[] Room { get; set; } = [];

    /// <summary>host:port to connect to instead of the address stored with the identity.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerCompleter))]
    public string? Server { get; set; }

    /// <summary>Which enrolled identity (name, user name or profile directory).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    [ArgumentCompleter(typeof(IdentityCompleter))]
    public string? Identity { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProfilePath { get; set; }

    [Parameter]
    public SecureString? Password { get; set; }

    [Parameter]
    [ValidateRange(1, 300)]
    public int TimeoutSeconds { get; set; } = 15;

    protected override void ProcessRecord()
    {
        char[] password = [];
        ChatSession? session = null;
        try
        {
            var root = ProfilePath is null ? null : ResolvePath(ProfilePath);
            var profile = ChatProfile.Find(ResolveIdentity(Identity), root);
            string? notAsked = null;
            using (var typed = Password is null ? ProfilePasswordPrompt.Ask(Host, profile, out notAsked) : null)
            {
                password = PasswordChars(Password ?? typed);
            }

            if (notAsked is not null)
            {
                WriteDebug($"The password of '{profile.Name}' was not asked for: {notAsked}.");
            }

            var log = new DeferredLogger();
            var options = new ChatClientOptions
            {
                Server = Server,
                ConnectTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
                LoggerFactory = new DeferredLoggerFactory(log),
            };
            var secure = Await(token => SecureSession.ConnectAsync(profile, password, options, token));
            session = new ChatSession(secure, log);
            SessionRegistry.Add(session);
            foreach (var room in Room)
            {
                try
                {
                    AwaitCatchingUp(secure, room, token => secure.EnterAsync(room, token));
                }
                catch (Exception e) when (IsPerInput(e))
                {
                    // One bad room name does not cost the connection.
                    WriteFailure(e, room);
                }
            }

            WriteObject(session);
        }
        catch (Exception e) when (IsPerInput(e))
        {
            session?.Secure.DisposeAsync().AsTask().GetAwaiter().GetResult();
            WriteFailure(e, Identity);
        }
        finally
        {
            Array.Clear(password);
        }
    }
}
