using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Server;

/// <summary>Users' certificate renewals as the server sees them (server range, 1060s).</summary>
internal static partial class RenewalLog
{
    [LoggerMessage(EventId = 1060, EventName = "ConnectionRenewed", Level = LogLevel.Information,
        Message = "Renewed the certificate of {UserName} ({RemoteAddress}) from {OldSerial} to {NewSerial}; the connection now speaks for the renewed one")]
    public static partial void ConnectionRenewed(ILogger log, string userName, string remoteAddress, string oldSerial, string newSerial);

    [LoggerMessage(EventId = 1061, EventName = "RenewalRefused", Level = LogLevel.Warning,
        Message = "Refused to renew the certificate {Serial} of {UserName} ({RemoteAddress}): {Reason}")]
    public static partial void RenewalRefused(ILogger log, string userName, string remoteAddress, string serial, string reason);

    [LoggerMessage(EventId = 1062, EventName = "RenewalOnlyConnection", Level = LogLevel.Information,
        Message = "{UserName} ({RemoteAddress}) connected with certificate {Serial}, expired on {NotAfter:u} but within the renewal grace period: it may only renew")]
    public static partial void RenewalOnlyConnection(ILogger log, string userName, string remoteAddress, string serial, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 1063, EventName = "ExpiredRefused", Level = LogLevel.Information,
        Message = "Refused {UserName} ({RemoteAddress}): certificate {Serial} expired on {NotAfter:u} and cannot renew ({Reason})")]
    public static partial void ExpiredRefused(ILogger log, string userName, string remoteAddress, string serial, DateTimeOffset notAfter, string reason);
}
