using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Server;

/// <summary>Events of the server's room side (1500–1999). Names, rooms, rules and counts only:
/// never a message body.</summary>
internal static partial class RoomLog
{
    [LoggerMessage(EventId = 1500, EventName = "RateLimited", Level = LogLevel.Information,
        Message = "{User} hit the {Limit} limit; the request was refused")]
    public static partial void RateLimited(ILogger log, string user, string limit);

    [LoggerMessage(EventId = 1501, EventName = "CommitRefused", Level = LogLevel.Warning,
        Message = "A commit by {User} in {Room} was refused: {Rule}")]
    public static partial void CommitRefused(ILogger log, string room, string user, string rule);

    [LoggerMessage(EventId = 1502, EventName = "StoreFailed", Level = LogLevel.Error,
        Message = "The message store failed during {Request} by {User} ({ExceptionType}); the request was answered StoreUnavailable")]
    public static partial void StoreFailed(ILogger log, Exception exception, string request, string user, string exceptionType);

    [LoggerMessage(EventId = 1503, EventName = "BatchCommitFailed", Level = LogLevel.Error,
        Message = "A batch of {Count} publishes could not be stored ({ExceptionType}); none was acknowledged")]
    public static partial void BatchCommitFailed(ILogger log, Exception exception, int count, string exceptionType);

    [LoggerMessage(EventId = 1504, EventName = "RequestRefused", Level = LogLevel.Debug,
        Message = "{Request} by {User} was refused with {ErrorId}")]
    public static partial void RequestRefused(ILogger log, string request, string user, string errorId);

    [LoggerMessage(EventId = 1505, EventName = "ReplyNotFramed", Level = LogLevel.Warning,
        Message = "The answer to {Request} by {User} could not be framed; it was answered ProtocolViolation")]
    public static partial void ReplyNotFramed(ILogger log, Exception exception, string request, string user);

    [LoggerMessage(EventId = 1506, EventName = "RoomReloaded", Level = LogLevel.Debug,
        Message = "Room {Room} was read again from the store ({Members} members)")]
    public static partial void RoomReloaded(ILogger log, string room, int members);

    [LoggerMessage(EventId = 1507, EventName = "RoomReloadFailed", Level = LogLevel.Warning,
        Message = "Room {Room} could not be read again from the store ({ExceptionType}); it is read at its next use")]
    public static partial void RoomReloadFailed(ILogger log, Exception exception, string room, string exceptionType);

    [LoggerMessage(EventId = 1508, EventName = "RoomCreated", Level = LogLevel.Information,
        Message = "Room {Room} was created by {User}")]
    public static partial void RoomCreated(ILogger log, string room, string user);
}
