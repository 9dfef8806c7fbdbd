using System.Management.Automation;
using Microsoft.Extensions.Logging;
using OpenChat.Cmdlets.Completion;
using OpenChat.Cmdlets.Diagnostics;
using System.Security;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>The interactive terminal chat. Leaves with /quit or Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Enter, "ChatRoom")]
public sealed class EnterChatRoomCommand : ChatCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string? Room { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public ChatSession? Session { get; set; }

    /// <summary>Connects as this identity when no session is given (and disconnects on leaving).</summary>
    [Parameter]
    [Alias("Path")]
    [ArgumentCompleter(typeof(IdentityCompleter))]
    public string? Identity { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProfilePath { get; set; }

    [Parameter]
    public SecureString? Password { get; set; }

    protected override void EndProcessing()
    {
        if (!SystemChatConsole.IsInteractive)
        {
            ThrowFailure(new OpenChatException(ErrorIds.NotInteractive, ErrorKind.InvalidOperation,
                "Enter-ChatRoom needs an interactive terminal. In scripts use Send-ChatMessage and Receive-ChatMessage."), null);
        }

        var session = Session ?? (Identity is null ? SessionRegistry.Default() : null);
        var owned = false;
        char[] password = [];
        try
        {
            if (session is null)
            {
                var root = ProfilePath is null ? null : ResolvePath(ProfilePath);
                var profile = ChatProfile.Find(ResolveIdentity(Identity), root);
                string? notAsked = null;
                using (var typed = Password is null ? Client.ProfilePasswordPrompt.Ask(Host, profile, out notAsked) : null)
                {
                    password = PasswordChars(Password ?? typed);
                }

                if (notAsked is not null)
                {
                    WriteDebug($"The password of '{profile.Name}' was not asked for: {notAsked}.");
                }

                var sessionLog = new DeferredLogger();
                var options = new ChatClientOptions { LoggerFactory = new DeferredLoggerFactory(sessionLog) };
                session = new ChatSession(Await(token => SecureSession.ConnectAsync(profile, password, options, token)), sessionLog);
                SessionRegistry.Add(session);
                owned = true;
            }

            var room = Room ?? session.Rooms.FirstOrDefault(r => !r.StartsWith('@'))
                ?? throw new OpenChatException(ErrorIds.RoomNotFound, ErrorKind.InvalidArgument, "Name a room to enter: Enter-ChatRoom -Room ops.");
            var chosen = session;
            AwaitCatchingUp(chosen.Secure, room, token => chosen.Secure.EnterAsync(room, token));
            var log = new DeferredLogger();
            new TerminalChat(session, room, new SystemChatConsole(), new SessionRoomHistory(session.Secure), log, CancelToken) { SaveDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath }.Run();
            if (owned && session.Secure.PendingMessages is > 0 and var pending)
            {
                WriteWarning($"{pending} message(s) could not be sent yet; they are kept, encrypted, in the profile's outbox and sent the next time this identity connects.");
            }

            // Written here, on the pipeline thread, now that the screen has given the terminal back.
            WriteDeferred(log);
            WriteDeferred(session.Log);
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, Room);
        }
        finally
        {
            Array.Clear(password);
            if (owned && session is not null)
            {
                session.Secure.DisposeAsync().AsTask().GetAwaiter().GetResult();
                SessionRegistry.Remove(session);
            }
        }
    }
}
