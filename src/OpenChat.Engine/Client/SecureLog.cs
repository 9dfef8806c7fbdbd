using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Events of the end-to-end session (2500–2999). Rooms, serials, kinds and error ids
/// only: never message text or keys.</summary>
internal static partial class SecureLog
{
    [LoggerMessage(EventId = 2500, EventName = "SecureEventRefused", Level = LogLevel.Information,
        Message = "Refused {Kind} #{Sequence} in {Room} from device {SenderSerial}")]
    public static partial void EventRefused(ILogger log, string room, ulong sequence, string kind, string senderSerial);

    [LoggerMessage(EventId = 2501, EventName = "SecurePumpEnded", Level = LogLevel.Debug,
        Message = "The receiving loop ended ({ExceptionType})")]
    public static partial void PumpEnded(ILogger log, string exceptionType);

    [LoggerMessage(EventId = 2502, EventName = "SecureCommitRaced", Level = LogLevel.Debug,
        Message = "A publish to {Room} built on epoch {Epoch} lost to another commit")]
    public static partial void CommitRaced(ILogger log, string room, ulong epoch);

    [LoggerMessage(EventId = 2503, EventName = "SecureRevocationsNotFetched", Level = LogLevel.Warning,
        Message = "The revocation list could not be fetched ({ExceptionType})")]
    public static partial void RevocationsNotFetched(ILogger log, string exceptionType);

    [LoggerMessage(EventId = 2504, EventName = "SecureStateNotSaved", Level = LogLevel.Warning,
        Message = "The session's state could not be saved ({ExceptionType}); retried")]
    public static partial void StateNotSaved(ILogger log, string exceptionType);

    [LoggerMessage(EventId = 2505, EventName = "SecureDirectRoomsNotEntered", Level = LogLevel.Debug,
        Message = "Direct conversations could not be looked for ({ExceptionType}); the next connection tries again")]
    public static partial void DirectRoomsNotEntered(ILogger log, string exceptionType);

    [LoggerMessage(EventId = 2506, EventName = "SecureRoomNotEntered", Level = LogLevel.Debug,
        Message = "This device could not join the group of {Room} ({ExceptionType}); retried on the next entry or send")]
    public static partial void RoomNotEntered(ILogger log, string room, string exceptionType);

    [LoggerMessage(EventId = 2507, EventName = "SecureQueuedMessageRetrying", Level = LogLevel.Debug,
        Message = "A queued message of {Room} stays queued ({Reason}); tried again")]
    public static partial void QueuedMessageRetrying(ILogger log, string room, string reason);

    [LoggerMessage(EventId = 2508, EventName = "SecureQueuedMessageFailed", Level = LogLevel.Information,
        Message = "A queued message of {Room} was refused for good ({ErrorId})")]
    public static partial void QueuedMessageFailed(ILogger log, string room, string errorId);

    [LoggerMessage(EventId = 2509, EventName = "SecureQueuedMessageReencrypted", Level = LogLevel.Debug,
        Message = "A queued message of {Room} went stale in flight and is encrypted again")]
    public static partial void QueuedMessageReencrypted(ILogger log, string room);

    [LoggerMessage(EventId = 2510, EventName = "SecureDirectRoomOffline", Level = LogLevel.Debug,
        Message = "A direct conversation could not be opened now ({ErrorId}); its name is used until its first message goes")]
    public static partial void DirectRoomOffline(ILogger log, string errorId);
}
