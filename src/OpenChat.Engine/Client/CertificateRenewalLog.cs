using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>This device's certificate renewals (client range, 2060s).</summary>
internal static partial class CertificateRenewalLog
{
    [LoggerMessage(EventId = 2060, EventName = "CertificateRenewed", Level = LogLevel.Information,
        Message = "Renewed the certificate of {UserName} from {OldSerial} to {NewSerial}, valid until {NotAfter:u}")]
    public static partial void Renewed(ILogger log, string userName, string oldSerial, string newSerial, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2061, EventName = "CertificateRenewalFailed", Level = LogLevel.Warning,
        Message = "Could not renew the certificate {Serial} (valid until {NotAfter:u}): {Reason}; trying again in {RetryIn}")]
    public static partial void Failed(ILogger log, string serial, DateTimeOffset notAfter, string reason, TimeSpan retryIn);

    [LoggerMessage(EventId = 2062, EventName = "CertificateRenewalGivenUp", Level = LogLevel.Error,
        Message = "The server will never renew the certificate {Serial} ({Reason}): this device stops trying. If it did not renew the certificate itself, someone else holds its key: tell the admin")]
    public static partial void GivenUp(ILogger log, string serial, string reason);

    [LoggerMessage(EventId = 2064, EventName = "CertificateRenewalClockAhead", Level = LogLevel.Warning,
        Message = "The renewed certificate {Serial} (valid until {NotAfter:u}) is already due for renewal by this device's clock, which is probably wrong; renewing again only much later")]
    public static partial void ClockAhead(ILogger log, string serial, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2063, EventName = "RenewingExpiredCertificate", Level = LogLevel.Information,
        Message = "The certificate {Serial} expired on {NotAfter:u}: renewing it before connecting")]
    public static partial void RenewingExpired(ILogger log, string serial, DateTimeOffset notAfter);
}
