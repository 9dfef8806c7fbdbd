using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

// The events of direct messages waiting for the other person (offline delivery), in their own
// file and id block so that they stay apart from the session's other events.
internal static partial class SecureLog
{
    [LoggerMessage(EventId = 2540, EventName = "SecureQueuedMessageWaitingForPeer", Level = LogLevel.Debug,
        Message = "The queued messages of {Room} wait for a device of the other person to join the conversation")]
    public static partial void QueuedMessageWaitingForPeer(ILogger log, string room);

    [LoggerMessage(EventId = 2541, EventName = "SecurePeerJoinedDirectRoom", Level = LogLevel.Debug,
        Message = "A device of the other person joined {Room}; its queued messages go now")]
    public static partial void PeerJoinedDirectRoom(ILogger log, string room);
}
