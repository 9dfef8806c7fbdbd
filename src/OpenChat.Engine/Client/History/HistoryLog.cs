using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client.History;

/// <summary>Events of the history store (2550–2559, in the secure session's range). Sequences,
/// counts and exception types only: never a room's name, a sender or text.</summary>
internal static partial class HistoryLog
{
    [LoggerMessage(EventId = 2550, EventName = "HistoryRecordUnreadable", Level = LogLevel.Warning,
        Message = "A record of the message history (#{Sequence}) cannot be read ({ExceptionType}) and is skipped")]
    public static partial void RecordUnreadable(ILogger log, ulong sequence, string exceptionType);

    [LoggerMessage(EventId = 2551, EventName = "HistoryNotWritten", Level = LogLevel.Warning,
        Message = "{Count} messages could not be written to the message history ({ExceptionType}); they were still delivered")]
    public static partial void NotWritten(ILogger log, int count, string exceptionType);

    [LoggerMessage(EventId = 2552, EventName = "HistoryCreated", Level = LogLevel.Information,
        Message = "A new message history was created for this device ({Rooms} rooms already followed)")]
    public static partial void Created(ILogger log, int rooms);
}
