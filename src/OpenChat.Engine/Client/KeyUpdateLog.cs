using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Log events of this device's key updates in its rooms (2300s).</summary>
internal static partial class KeyUpdateLog
{
    [LoggerMessage(EventId = 2300, EventName = "KeyUpdatedAfterRemoval", Level = LogLevel.Debug,
        Message = "{Room}: this device's key update after a removal was committed")]
    public static partial void UpdatedAfterRemoval(ILogger log, string room);

    [LoggerMessage(EventId = 2301, EventName = "KeyUpdateFailed", Level = LogLevel.Warning,
        Message = "{Room}: this device's key update after a removal failed ({ExceptionType}); it is committed before the next send")]
    public static partial void UpdateFailed(ILogger log, Exception exception, string room, string exceptionType);
}
