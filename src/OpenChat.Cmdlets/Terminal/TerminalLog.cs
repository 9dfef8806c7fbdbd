using Microsoft.Extensions.Logging;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>The chat screen's own log events (7000s: the cmdlets' terminal). They name the
/// command and the error id, never what was typed.</summary>
internal static partial class TerminalLog
{
    [LoggerMessage(EventId = 7001, EventName = "TerminalCommandRefused", Level = LogLevel.Debug,
        Message = "The chat's {Command} was refused with {ErrorId}; the reason was shown on the screen")]
    public static partial void CommandRefused(ILogger log, string command, string errorId);
}
