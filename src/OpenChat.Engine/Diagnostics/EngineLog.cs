using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// How the engine reports what nobody is waiting for: a failure on a background task, a peer
/// dropped for breaking the protocol, a store error behind a refusal. Each is a log line through
/// the <see cref="ILoggerFactory"/> of the options (none by default) and a count on
/// <see cref="FailureCounter"/>, so an operator sees it even when no log is configured.
/// </summary>
/// <remarks>
/// Event ids are stable (a log pipeline filters on them) and grouped by layer: 1–99 common,
/// 1000s server, 2000s client, 3000s storage, 4000s PKI, 5000s group, 6000s transport. Each
/// layer declares its own events in a <c>static partial class …Log</c> with
/// <see cref="LoggerMessageAttribute"/> next to its code. Log lines carry names, serials, rooms
/// and counts; never message text, keys, passwords or invite secrets.
/// </remarks>
public static partial class EngineLog
{
    public const string MeterName = "OpenChat";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Failures that were handled without an exception reaching a caller, by where they
    /// happened (the <c>where</c> tag).</summary>
    public static readonly Counter<long> FailureCounter =
        Meter.CreateCounter<long>("openchat.failures", unit: "{failure}", description: "Failures handled on a background path.");

    /// <summary>Logs and counts a failure that is handled here and reaches no caller.
    /// <paramref name="where"/> is a short stable name of the path ("server.accept").</summary>
    public static void Failed(this ILogger log, Exception exception, string where)
    {
        FailureCounter.Add(1, new KeyValuePair<string, object?>("where", where));
        BackgroundFailure(log, exception, where, exception.GetType().Name);
    }

    [LoggerMessage(EventId = 1, EventName = "BackgroundFailure", Level = LogLevel.Warning,
        Message = "{Where} failed with {ExceptionType}")]
    private static partial void BackgroundFailure(ILogger log, Exception exception, string where, string exceptionType);

    [LoggerMessage(EventId = 2, EventName = "LinesSuppressed", Level = LogLevel.Warning,
        Message = "{Count} lines of {Throttled} were not written (more than {PerSecond} a second)")]
    public static partial void LinesSuppressed(ILogger log, long count, string throttled, double perSecond);
}
