using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// The monitoring side's events (ids 1520–1559): the metrics and health endpoint, failed health
/// checks, and the server events an admin's log lacked before (revocations the server noticed).
/// Fields are addresses, check names, reasons and serials; never anything a client sent.
/// </summary>
internal static partial class ObserveLog
{
    [LoggerMessage(EventId = 1520, EventName = "MonitoringListening", Level = LogLevel.Information,
        Message = "Metrics and health endpoint listening on http://{Endpoint} (/metrics, /healthz)")]
    public static partial void MonitoringListening(ILogger log, string endpoint);

    [LoggerMessage(EventId = 1521, EventName = "MonitoringRequestAbandoned", Level = LogLevel.Debug,
        Message = "A request to the monitoring endpoint was not answered ({ExceptionType})")]
    public static partial void MonitoringRequestAbandoned(ILogger log, string exceptionType);

    [LoggerMessage(EventId = 1522, EventName = "HealthCheckFailed", Level = LogLevel.Warning,
        Message = "Health check {Check} failed: {Detail}")]
    public static partial void HealthCheckFailed(ILogger log, string check, string detail);

    [LoggerMessage(EventId = 1524, EventName = "RevocationsNoticed", Level = LogLevel.Information,
        Message = "The server noticed {Count} newly revoked certificates ({Serials}); their connections are closed")]
    public static partial void RevocationsNoticed(ILogger log, int count, string serials);

    [LoggerMessage(EventId = 1525, EventName = "RevokedElsewhereClosed", Level = LogLevel.Warning,
        Message = "Closed the connection of '{UserName}' ({Serial}) from {RemoteAddress}: another node reported its certificate revoked")]
    public static partial void RevokedElsewhereClosed(ILogger log, string userName, string serial, string remoteAddress);

    [LoggerMessage(EventId = 1523, EventName = "MonitoringStopped", Level = LogLevel.Information,
        Message = "Metrics and health endpoint on http://{Endpoint} stopped")]
    public static partial void MonitoringStopped(ILogger log, string endpoint);
}
