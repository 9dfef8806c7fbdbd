using System.Management.Automation;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Client;

/// <summary>Cmdlets that act through a chat session: -Session, else the newest open one.</summary>
public abstract class SessionCmdlet : ChatCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ChatSession? Session { get; set; }

    protected ChatSession ResolveSession()
    {
        var session = Session ?? SessionRegistry.Default();
        if (session is null && SessionRegistry.LastClosedForGood() is { } closed)
        {
            // The newest session did not just drop: the server refused it for a reason that
            // a reconnect cannot change. Say that, not "connect first".
            ThrowFailure(closed.Client.ClosedReason == ErrorIds.CertificateRevoked
                ? new OpenChatException(ErrorIds.CertificateRevoked, ErrorKind.AuthenticationFailed,
                    $"The session of '{closed.UserName}' on {closed.Server} was closed because the server's admin revoked this identity's certificate. Reconnecting will not help: ask the admin for a new invite.")
                : new OpenChatException(closed.Client.ClosedReason!, ErrorKind.AuthenticationFailed,
                    $"The session of '{closed.UserName}' on {closed.Server} was closed for good ({closed.Client.ClosedReason}); reconnecting as this identity will not help until that is resolved."), null);
        }

        if (session is null)
        {
            ThrowFailure(new OpenChatException(ErrorIds.NotConnected, ErrorKind.InvalidOperation,
                "There is no open chat session. Connect first with Connect-ChatRoom."), null);
        }

        // What the engine logged for this session since the last cmdlet, on the pipeline thread.
        WriteDeferred(session!.Log);
        return session;
    }

    /// <summary>Where a send goes: the direct conversation with <paramref name="to"/>, else
    /// <paramref name="room"/> (capitals folded), else the session's only room.</summary>
    protected string ResolveTarget(ChatSession session, string? room, string? to)
    {
        if (to is not null)
        {
            return Await(token => session.Secure.DirectRoomAsync(to, token));
        }

        if (room is not null)
        {
            return Engine.Protocol.RoomNames.Normalize(room);
        }

        var rooms = session.Rooms;
        return rooms.Length == 1
            ? rooms[0]
            : throw new OpenChatException(ErrorIds.RoomNotFound, ErrorKind.InvalidArgument, rooms.Length == 0
                ? "The session has joined no room. Give -Room or -To, or join one with Join-ChatRoom."
                : $"The session is in several rooms ({string.Join(", ", rooms)}). Say which with -Room.");
    }
}
