using Microsoft.Extensions.Logging;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>The group's log events (5000s). They name the room, the event's place in its
/// sequence and the check that refused it; never the content, keys or secrets.</summary>
internal static partial class GroupLog
{
    [LoggerMessage(EventId = 5000, EventName = "GroupEventRefused", Level = LogLevel.Debug,
        Message = "{Room} #{Sequence}: the {Kind} from {SenderSerial} was refused ({Code})")]
    public static partial void EventRefused(ILogger log, string room, ulong sequence, EventKind kind, string senderSerial, RejectReason code);

    [LoggerMessage(EventId = 5001, EventName = "GroupEventUnreadable", Level = LogLevel.Debug,
        Message = "{Room} #{Sequence}: the {Kind} from {SenderSerial} could not be read ({ExceptionType})")]
    public static partial void EventUnreadable(ILogger log, Exception exception, string room, ulong sequence, EventKind kind, string senderSerial,
        string exceptionType);

    [LoggerMessage(EventId = 5002, EventName = "GroupRemovalLookFailed", Level = LogLevel.Debug,
        Message = "{Room} #{Sequence}: the commit could not be read to see whom it removes ({ExceptionType}); processing it will refuse it")]
    public static partial void RemovalLookFailed(ILogger log, Exception exception, string room, ulong sequence, string exceptionType);
}
