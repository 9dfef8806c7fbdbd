using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage;

/// <summary>Events of the message store (3500–3599).</summary>
internal static partial class MessageStoreLog
{
    [LoggerMessage(EventId = 3000, EventName = "MessageStoreUpgraded", Level = LogLevel.Information,
        Message = "The message store at {Path} was upgraded from schema version {From} to {To}")]
    public static partial void Upgraded(ILogger log, string path, int from, int to);

    // Before the copy and the steps: on a large store they take minutes, with nothing listening yet.
    [LoggerMessage(EventId = 3001, EventName = "MessageStoreUpgrading", Level = LogLevel.Information,
        Message = "Upgrading the message store at {Path} from schema version {From} to {To}: it holds {Messages} messages, which are copied aside and then rewritten; the server listens when this is done")]
    public static partial void Upgrading(ILogger log, string path, int from, int to, long messages);

    [LoggerMessage(EventId = 3002, EventName = "MessageStoreLogNotTruncated", Level = LogLevel.Warning,
        Message = "After the upgrade, the write-ahead log of the message store at {Path} ({Bytes} bytes) could not be truncated because another process is reading the file. Nothing is lost and SQLite reuses the log; it is removed when the server stops after that process has closed the file")]
    public static partial void LogNotTruncated(ILogger log, string path, long bytes);
}
