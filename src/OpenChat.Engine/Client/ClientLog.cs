using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>The client's log events (ids 2000–2499). They carry the server's address, rooms,
/// tags, error ids and exception types; never message text, keys or passwords.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(EventId = 2000, EventName = "Connected", Level = LogLevel.Information,
        Message = "Connected to {Server} as {UserName}")]
    public static partial void Connected(ILogger log, string server, string userName);

    [LoggerMessage(EventId = 2001, EventName = "Disconnected", Level = LogLevel.Warning,
        Message = "The connection to {Server} ended: {Reason}")]
    public static partial void Disconnected(ILogger log, string server, string reason);

    [LoggerMessage(EventId = 2002, EventName = "ReconnectAttempt", Level = LogLevel.Information,
        Message = "Reconnecting to {Server} (attempt {Attempt})")]
    public static partial void ReconnectAttempt(ILogger log, string server, int attempt);

    [LoggerMessage(EventId = 2003, EventName = "ReconnectFailed", Level = LogLevel.Warning,
        Message = "Reconnect attempt {Attempt} to {Server} failed with {ErrorId}; next in {DelayMs} ms")]
    public static partial void ReconnectFailed(ILogger log, Exception exception, string server, int attempt, string errorId, long delayMs);

    [LoggerMessage(EventId = 2004, EventName = "ClosedForGood", Level = LogLevel.Warning,
        Message = "The client of {Server} closed for good: {Reason}")]
    public static partial void ClosedForGood(ILogger log, string server, string reason);

    [LoggerMessage(EventId = 2005, EventName = "RequestTimedOut", Level = LogLevel.Warning,
        Message = "The server did not answer request {Tag} within {TimeoutMs} ms")]
    public static partial void RequestTimedOut(ILogger log, uint tag, long timeoutMs);

    [LoggerMessage(EventId = 2006, EventName = "StateSaveFailed", Level = LogLevel.Warning,
        Message = "Saving the client state in {Path} failed with {ExceptionType}; it is written again with the next change")]
    public static partial void StateSaveFailed(ILogger log, Exception exception, string path, string exceptionType);

    [LoggerMessage(EventId = 2007, EventName = "StateUnreadable", Level = LogLevel.Warning,
        Message = "The client state in {Path} cannot be read; starting from an empty one (history is read again, deduplicated)")]
    public static partial void StateUnreadable(ILogger log, Exception exception, string path);

    [LoggerMessage(EventId = 2008, EventName = "ServerBrokeProtocol", Level = LogLevel.Warning,
        Message = "The server {Server} broke the protocol; the connection is dropped: {Violation}")]
    public static partial void ServerBrokeProtocol(ILogger log, string server, string violation);

    [LoggerMessage(EventId = 2009, EventName = "RejoinFailed", Level = LogLevel.Information,
        Message = "Rejoining {Room} failed with {ErrorId}; the next connection tries again")]
    public static partial void RejoinFailed(ILogger log, string room, string errorId);

    [LoggerMessage(EventId = 2010, EventName = "PublishRetried", Level = LogLevel.Debug,
        Message = "The server refused publish {MessageId} in {Room} for now ({ErrorId}); it goes again shortly")]
    public static partial void PublishRetried(ILogger log, Guid messageId, string room, string errorId);

    [LoggerMessage(EventId = 2012, EventName = "MovedToNode", Level = LogLevel.Information,
        Message = "The client moved from node {Previous} to node {Node}")]
    public static partial void MovedToNode(ILogger log, string previous, string node);

    [LoggerMessage(EventId = 2013, EventName = "NodeUnreachable", Level = LogLevel.Information,
        Message = "Node {Node} could not be reached ({Reason}); trying the next one")]
    public static partial void NodeUnreachable(ILogger log, string node, string reason);

    [LoggerMessage(EventId = 2011, EventName = "RevokedListUnreadable", Level = LogLevel.Warning,
        Message = "The revoked serials in {Path} cannot be read; the end-to-end state writes them back")]
    public static partial void RevokedListUnreadable(ILogger log, Exception exception, string path);
}
