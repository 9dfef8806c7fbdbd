using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// What the bus between nodes tells an admin: the NATS connection going down and up, messages
/// dropped or refused. Event ids 1400–1449. The bus address is logged without credentials; room
/// names and counts only, never events or serials.
/// </summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 1400, EventName = "BusConnected", Level = LogLevel.Information,
        Message = "Node {NodeId} is on the bus at {Url}")]
    public static partial void BusConnected(this ILogger log, string nodeId, string url);

    [LoggerMessage(EventId = 1401, EventName = "BusDown", Level = LogLevel.Warning,
        Message = "The bus at {Url} is down; rooms are kept in step through the database until it is back")]
    public static partial void BusDown(this ILogger log, string url);

    [LoggerMessage(EventId = 1402, EventName = "BusUp", Level = LogLevel.Information,
        Message = "The bus at {Url} is back")]
    public static partial void BusUp(this ILogger log, string url);

    [LoggerMessage(EventId = 1403, EventName = "BusUnreachable", Level = LogLevel.Warning,
        Message = "Cannot reach the bus at {Url} ({ExceptionType}); rooms are kept in step through the database, and the bus is tried again")]
    public static partial void BusUnreachable(this ILogger log, string url, string exceptionType);

    [LoggerMessage(EventId = 1404, EventName = "BusQueueFull", Level = LogLevel.Warning,
        Message = "The bus's outgoing queue is full ({Capacity} messages): a message was not sent (the database poll repairs)")]
    public static partial void BusQueueFull(this ILogger log, int capacity);

    [LoggerMessage(EventId = 1405, EventName = "BusMessageRefused", Level = LogLevel.Warning,
        Message = "Ignored a malformed message on the bus subject {Subject}: {Reason}")]
    public static partial void BusMessageRefused(this ILogger log, string subject, string reason);

    [LoggerMessage(EventId = 1406, EventName = "BusWithoutNats", Level = LogLevel.Information,
        Message = "Node {NodeId} has no bus: rooms are kept in step through the database every {PollMilliseconds} ms")]
    public static partial void BusWithoutNats(this ILogger log, string nodeId, double pollMilliseconds);
}
