using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Server;

/// <summary>
/// What the connection side of the server tells an admin: start and stop, connections refused and
/// why, peers closed for breaking the protocol or not reading, timeouts, revocations, enrollments.
/// Event ids 1000–1499 (the room side has the rest of the 1000s). Fields are names, serials,
/// addresses, error ids and counts: never message bodies, invite secrets, requests or proofs.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1000, EventName = "ServerStarted", Level = LogLevel.Information,
        Message = "Chat server listening on {Endpoint}, serving {DataPath}")]
    public static partial void ServerStarted(this ILogger log, string endpoint, string dataPath);

    [LoggerMessage(EventId = 1001, EventName = "ServerStopped", Level = LogLevel.Information,
        Message = "Chat server on {Endpoint} stopped")]
    public static partial void ServerStopped(this ILogger log, string endpoint);

    [LoggerMessage(EventId = 1010, EventName = "ConnectionRefusedBusy", Level = LogLevel.Warning,
        Message = "Refused a connection from {RemoteAddress}: the server is full ({MaxConnections} connections)")]
    public static partial void RefusedBusy(this ILogger log, string remoteAddress, int maxConnections);

    [LoggerMessage(EventId = 1011, EventName = "ConnectionRefusedPerAddress", Level = LogLevel.Warning,
        Message = "Refused a connection from {RemoteAddress}: that address already has {MaxPending} connections in the handshake")]
    public static partial void RefusedPerAddress(this ILogger log, string remoteAddress, int maxPending);

    [LoggerMessage(EventId = 1012, EventName = "EnrollmentRefusedBusy", Level = LogLevel.Warning,
        Message = "Refused an enrollment connection from {RemoteAddress}: {MaxEnrollments} enrollments are already in progress")]
    public static partial void EnrollmentBusy(this ILogger log, string remoteAddress, int maxEnrollments);

    [LoggerMessage(EventId = 1032, EventName = "EnrollmentRefusedPerAddress", Level = LogLevel.Warning,
        Message = "Refused an enrollment connection from {RemoteAddress}: that address already has {MaxPerAddress} enrollments in progress")]
    public static partial void EnrollmentRefusedPerAddress(this ILogger log, string remoteAddress, int maxPerAddress);

    [LoggerMessage(EventId = 1033, EventName = "ConnectionRefusedPerUser", Level = LogLevel.Warning,
        Message = "Refused a connection of {User} from {RemoteAddress}: that user already has {MaxPerUser} connections open")]
    public static partial void SessionRefusedPerUser(this ILogger log, string user, string remoteAddress, int maxPerUser);

    [LoggerMessage(EventId = 1034, EventName = "ConnectionRefusedOpenPerAddress", Level = LogLevel.Warning,
        Message = "Refused a connection of {User} from {RemoteAddress}: that address already has {MaxPerAddress} connections open")]
    public static partial void SessionRefusedPerAddress(this ILogger log, string user, string remoteAddress, int maxPerAddress);

    [LoggerMessage(EventId = 1013, EventName = "HandshakeFailed", Level = LogLevel.Information,
        Message = "The handshake with {RemoteAddress} failed: {Reason}")]
    public static partial void HandshakeFailed(this ILogger log, string remoteAddress, string reason);

    [LoggerMessage(EventId = 1014, EventName = "CertificateRejected", Level = LogLevel.Warning,
        Message = "Refused the client certificate of {RemoteAddress}: {Reason}")]
    public static partial void CertificateRejected(this ILogger log, string remoteAddress, string reason);

    [LoggerMessage(EventId = 1015, EventName = "ConnectionRefusedRevoked", Level = LogLevel.Warning,
        Message = "Refused {UserName} ({Serial}) from {RemoteAddress}: the certificate is revoked")]
    public static partial void RefusedRevoked(this ILogger log, string userName, string serial, string remoteAddress);

    [LoggerMessage(EventId = 1016, EventName = "VersionUnsupported", Level = LogLevel.Information,
        Message = "Refused {RemoteAddress}: it offered protocol versions {MinVersion}..{MaxVersion}; this server speaks {Version}")]
    public static partial void VersionUnsupported(this ILogger log, string remoteAddress, ushort minVersion, ushort maxVersion, ushort version);

    [LoggerMessage(EventId = 1017, EventName = "BusyRefusalAbandoned", Level = LogLevel.Debug,
        Message = "A client told the server is full went away first ({ExceptionType})")]
    public static partial void BusyRefusalAbandoned(this ILogger log, string exceptionType);

    [LoggerMessage(EventId = 1018, EventName = "GoodbyeNotDelivered", Level = LogLevel.Debug,
        Message = "A goodbye to {RemoteAddress} could not be written ({ExceptionType})")]
    public static partial void GoodbyeNotDelivered(this ILogger log, string remoteAddress, string exceptionType);

    [LoggerMessage(EventId = 1020, EventName = "ProtocolViolation", Level = LogLevel.Warning,
        Message = "Closed the connection of '{UserName}' from {RemoteAddress} for a protocol violation: {Reason}")]
    public static partial void ProtocolViolation(this ILogger log, string userName, string remoteAddress, string reason);

    [LoggerMessage(EventId = 1021, EventName = "SlowReaderDropped", Level = LogLevel.Warning,
        Message = "Dropped '{UserName}' from {RemoteAddress}: it did not read what it was sent")]
    public static partial void SlowReaderDropped(this ILogger log, string userName, string remoteAddress);

    [LoggerMessage(EventId = 1022, EventName = "IdleTimeout", Level = LogLevel.Information,
        Message = "Closed the idle connection of '{UserName}' from {RemoteAddress}")]
    public static partial void IdleTimeout(this ILogger log, string userName, string remoteAddress);

    [LoggerMessage(EventId = 1023, EventName = "RevokedConnectionClosed", Level = LogLevel.Warning,
        Message = "Closed the connection of '{UserName}' ({Serial}) from {RemoteAddress}: the certificate was revoked")]
    public static partial void RevokedClosed(this ILogger log, string userName, string serial, string remoteAddress);

    [LoggerMessage(EventId = 1024, EventName = "ExpiredConnectionClosed", Level = LogLevel.Information,
        Message = "Closed the connection of '{UserName}' ({Serial}) from {RemoteAddress}: the certificate expired")]
    public static partial void ExpiredClosed(this ILogger log, string userName, string serial, string remoteAddress);

    [LoggerMessage(EventId = 1025, EventName = "EnrollmentTimeout", Level = LogLevel.Information,
        Message = "Closed the enrollment connection from {RemoteAddress}: it did not enroll in time")]
    public static partial void EnrollmentTimeout(this ILogger log, string remoteAddress);

    [LoggerMessage(EventId = 1026, EventName = "ConnectionOpened", Level = LogLevel.Debug,
        Message = "'{UserName}' connected from {RemoteAddress} (connection {ConnectionId})")]
    public static partial void ConnectionOpened(this ILogger log, string userName, string remoteAddress, long connectionId);

    [LoggerMessage(EventId = 1027, EventName = "ConnectionClosed", Level = LogLevel.Debug,
        Message = "The connection of '{UserName}' from {RemoteAddress} (connection {ConnectionId}) closed: {Reason}")]
    public static partial void ConnectionClosed(this ILogger log, string userName, string remoteAddress, long connectionId, string reason);

    [LoggerMessage(EventId = 1028, EventName = "ConnectionLost", Level = LogLevel.Debug,
        Message = "The connection of '{UserName}' from {RemoteAddress} ended ({ExceptionType})")]
    public static partial void ConnectionLost(this ILogger log, string userName, string remoteAddress, string exceptionType);

    [LoggerMessage(EventId = 1030, EventName = "EnrollmentSucceeded", Level = LogLevel.Information,
        Message = "Enrolled '{UserName}' from {RemoteAddress}: certificate {Serial}")]
    public static partial void EnrollmentSucceeded(this ILogger log, string userName, string remoteAddress, string serial);

    [LoggerMessage(EventId = 1031, EventName = "EnrollmentRefused", Level = LogLevel.Warning,
        Message = "Refused the enrollment of '{UserName}' from {RemoteAddress}: {ErrorId}")]
    public static partial void EnrollmentRefused(this ILogger log, string userName, string remoteAddress, string errorId);

    [LoggerMessage(EventId = 1050, EventName = "CertificatesExpiringSoon", Level = LogLevel.Warning,
        Message = "Certificates expire within {WindowDays} days: {Summary}")]
    public static partial void ExpiringSoon(this ILogger log, double windowDays, string summary);
}
