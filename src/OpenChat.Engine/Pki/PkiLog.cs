using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Pki;

/// <summary>What the CA did, for an operator's audit trail (PKI range, 4000s). Invites are named
/// by id and user, never by their secret; certificates by kind, name and serial.</summary>
internal static partial class PkiLog
{
    [LoggerMessage(EventId = 4000, EventName = "CaCreated", Level = LogLevel.Information,
        Message = "Created the certificate authority {CaName} in {DataPath}")]
    public static partial void CaCreated(ILogger log, string caName, string dataPath);

    [LoggerMessage(EventId = 4001, EventName = "CertificateIssued", Level = LogLevel.Information,
        Message = "Issued a {Kind} certificate for {Name}, serial {Serial}")]
    public static partial void CertificateIssued(ILogger log, CertificateKind kind, string name, string serial);

    [LoggerMessage(EventId = 4002, EventName = "CertificateRevoked", Level = LogLevel.Information,
        Message = "Revoked certificate {Serial} ({Reason})")]
    public static partial void CertificateRevoked(ILogger log, string serial, X509RevocationReason reason);

    [LoggerMessage(EventId = 4003, EventName = "InviteCreated", Level = LogLevel.Information,
        Message = "Created invite {InviteId} for {UserName}")]
    public static partial void InviteCreated(ILogger log, string inviteId, string userName);

    [LoggerMessage(EventId = 4004, EventName = "InviteRedeemed", Level = LogLevel.Information,
        Message = "Invite {InviteId} for {UserName} was redeemed")]
    public static partial void InviteRedeemed(ILogger log, string inviteId, string userName);

    [LoggerMessage(EventId = 4005, EventName = "InviteCancelled", Level = LogLevel.Information,
        Message = "Cancelled invite {InviteId} for {UserName}")]
    public static partial void InviteCancelled(ILogger log, string inviteId, string userName);

    [LoggerMessage(EventId = 4006, EventName = "RevocationListSigned", Level = LogLevel.Information,
        Message = "Signed revocation list number {Number} with {Revoked} revoked certificates")]
    public static partial void RevocationListSigned(ILogger log, long number, int revoked);

    [LoggerMessage(EventId = 4010, EventName = "ClientCertificateRenewed", Level = LogLevel.Information,
        Message = "Renewed the certificate {OldSerial} of {UserName} as {NewSerial}, valid until {NewNotAfter:u} (new key: {NewKey})")]
    public static partial void ClientCertificateRenewed(ILogger log, string userName, string oldSerial, string newSerial, DateTimeOffset newNotAfter, bool newKey);

    [LoggerMessage(EventId = 4011, EventName = "ClientRenewalRefused", Level = LogLevel.Warning,
        Message = "Refused to renew certificate {Serial}: {Reason}")]
    public static partial void ClientRenewalRefused(ILogger log, string serial, string reason);

    [LoggerMessage(EventId = 4020, EventName = "ServerCertificateRenewed", Level = LogLevel.Information,
        Message = "Renewed the server certificate {OldSerial} (valid until {OldNotAfter:u}) as {NewSerial}, valid until {NewNotAfter:u}, with the same key")]
    public static partial void ServerCertificateRenewed(ILogger log, string oldSerial, DateTimeOffset oldNotAfter, string newSerial, DateTimeOffset newNotAfter);

    [LoggerMessage(EventId = 4021, EventName = "ServerCertificateRenewalFailed", Level = LogLevel.Warning,
        Message = "Could not renew the server certificate {Serial}, valid until {NotAfter:u}; it is served until then and renewal is tried again")]
    public static partial void ServerCertificateRenewalFailed(ILogger log, Exception error, string serial, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 4022, EventName = "ServerCertificateRefused", Level = LogLevel.Error,
        Message = "Refused to start: the server certificate {Serial} expired on {NotAfter:u} and could not be renewed ({Reason})")]
    public static partial void ServerCertificateRefused(ILogger log, string serial, DateTimeOffset notAfter, string reason);
}
