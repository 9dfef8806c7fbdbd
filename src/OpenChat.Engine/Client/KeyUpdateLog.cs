using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Log events of this device's key updates in its rooms (2300s).</summary>
internal static partial class KeyUpdateLog
{
    [LoggerMessage(EventId = 2300, EventName = "KeyUpdatedInBackground", Level = LogLevel.Debug,
        Message = "{Room}: this device's due key update was committed in the background")]
    public static partial void UpdatedInBackground(ILogger log, string room);

    [LoggerMessage(EventId = 2301, EventName = "KeyUpdateFailed", Level = LogLevel.Warning,
        Message = "{Room}: this device's due key update failed ({ExceptionType}); it is tried again later and committed before the next send")]
    public static partial void UpdateFailed(ILogger log, Exception exception, string room, string exceptionType);

    [LoggerMessage(EventId = 2302, EventName = "KeyUpdateCheckFailed", Level = LogLevel.Warning,
        Message = "Looking for due key updates failed ({ExceptionType}); the next check looks again")]
    public static partial void CheckFailed(ILogger log, Exception exception, string exceptionType);
}
