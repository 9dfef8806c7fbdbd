using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Pki;

/// <summary>Events of a CA rollover (4090s of the PKI range).</summary>
internal static partial class CaRolloverLog
{
    [LoggerMessage(EventId = 4090, EventName = "CaRolledOver", Level = LogLevel.Warning,
        Message = "The CA root {Previous} was replaced by {Current} ({Fingerprint}); the overlap runs until {OverlapEnds:u}")]
    public static partial void RolledOver(ILogger log, string previous, string current, string fingerprint, DateTimeOffset overlapEnds);

    [LoggerMessage(EventId = 4091, EventName = "CaRootPinned", Level = LogLevel.Information,
        Message = "Pinned the CA root {Subject} ({Fingerprint}) on the proof of a root already pinned")]
    public static partial void RootPinned(ILogger log, string subject, string fingerprint);

    [LoggerMessage(EventId = 4092, EventName = "CaRootRefused", Level = LogLevel.Warning,
        Message = "Refused the CA root {Subject} the server offered: {Reason}")]
    public static partial void RootRefused(ILogger log, string subject, string reason);

    [LoggerMessage(EventId = 4093, EventName = "CaRootDropped", Level = LogLevel.Information,
        Message = "Dropped the pinned CA root {Subject}, which expired on {NotAfter:u}")]
    public static partial void RootDropped(ILogger log, string subject, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 4094, EventName = "RevocationListNotVerified", Level = LogLevel.Debug,
        Message = "A revocation list did not verify under a pinned root ({Reason}); the next one is tried")]
    public static partial void RevocationListNotVerified(ILogger log, string reason);
}
