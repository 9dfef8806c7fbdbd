using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Pki;

/// <summary>Looking up and revoking issued certificates: no CA key needed.</summary>
public sealed class CertificateRegistry
{
    private readonly CaDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public CertificateRegistry(CaDirectory directory, TimeProvider? time = null, ILogger? log = null)
    {
        directory.EnsureExists();
        _directory = directory;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    public IReadOnlyList<CertificateRecord> Find(CertificateKind? kind = null, string? userName = null, string? serial = null, CertificateStatus? status = null)
    {
        IEnumerable<CertificateRecord> found;
        if (serial is not null)
        {
            var one = _directory.Store.GetCertificate(NormalizeSerial(serial));
            found = one is null ? [] : [one];
        }
        else
        {
            found = _directory.Store.FindCertificates(kind, userName is null ? null : UserNamePolicy.Normalize(userName));
        }

        var now = Now;
        return found
            .Where(r => kind is null || r.Kind == kind)
            .Where(r => userName is null || string.Equals(r.Name, userName, StringComparison.OrdinalIgnoreCase))
            .Where(r => status is null || r.StatusAt(now) == status)
            .ToList();
    }

    /// <summary>Certificates of any kind that are valid now and expire within <paramref name="within"/>,
    /// soonest first.</summary>
    public IReadOnlyList<CertificateRecord> ExpiringWithin(TimeSpan within, CertificateKind? kind = null)
    {
        if (within < TimeSpan.Zero)
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                $"-ExpiringWithin must be a span from now into the future (got {within}).");
        }

        var now = Now;
        return [.. _directory.Store.FindCertificates(kind).Where(r => r.IsExpiringWithin(now, within)).OrderBy(r => r.NotAfter)];
    }

    /// <summary>Revokes one certificate by serial; a second revocation is refused.</summary>
    public CertificateRecord Revoke(string serial, X509RevocationReason reason = X509RevocationReason.Unspecified) =>
        RevokeAndCancelInvites(serial, reason).Record;

    /// <summary>Revokes one certificate by serial. When it was the user's last valid certificate,
    /// every pending invite for that user is cancelled with it (atomically): a revoked user must
    /// not come back through an invite issued before the revocation.</summary>
    public (CertificateRecord Record, IReadOnlyList<InviteRecord> CancelledInvites) RevokeAndCancelInvites(string serial, X509RevocationReason reason = X509RevocationReason.Unspecified)
    {
        // Revocation here is permanent: a hold could be lifted, and RemoveFromCrl undoes nothing.
        if (reason is X509RevocationReason.CertificateHold or X509RevocationReason.RemoveFromCrl)
        {
            throw new OpenChatException(ErrorIds.RevocationReasonInvalid, ErrorKind.InvalidArgument,
                $"'{reason}' is not a reason for a permanent revocation. Use Unspecified, KeyCompromise, AffiliationChanged, Superseded, CessationOfOperation or PrivilegeWithdrawn.");
        }

        var normalized = NormalizeSerial(serial);
        var record = _directory.Store.GetCertificate(normalized)
            ?? throw new OpenChatException(ErrorIds.CertificateNotFound, ErrorKind.NotFound,
                $"No certificate with serial {normalized} was issued by this CA.");
        if (record.RevokedAt is not null)
        {
            throw AlreadyRevoked(record);
        }

        var now = Now;
        var why = $"certificate {normalized} of {record.Name} was revoked ({reason}) and {record.Name} had no valid certificate left";
        var cancelled = _directory.Store.RevokeCertificate(normalized, now, reason, why)
            ?? throw AlreadyRevoked(_directory.Store.GetCertificate(normalized)!);
        PkiLog.CertificateRevoked(_log, normalized, reason);
        var invites = InviteBook.Cancelled(_directory.Store, cancelled, _log);
        return (record with { RevokedAt = now, RevocationReason = reason }, invites);
    }

    /// <summary>Serials are shown and stored as upper-case hex; users may paste them with
    /// colons, spaces or lower case.</summary>
    public static string NormalizeSerial(string serial)
    {
        var hex = new string(serial.Where(c => c is not (':' or ' ' or '-')).ToArray()).ToUpperInvariant();
        if (hex.Length == 0 || hex.Length > 64 || hex.Any(c => !Uri.IsHexDigit(c)))
        {
            throw new OpenChatException(ErrorIds.SerialInvalid, ErrorKind.InvalidArgument,
                $"'{UserNamePolicy.Printable(serial)}' is not a certificate serial number (hexadecimal digits).");
        }

        return hex;
    }

    private static OpenChatException AlreadyRevoked(CertificateRecord record) =>
        new(ErrorIds.CertificateAlreadyRevoked, ErrorKind.InvalidOperation,
            $"Certificate {record.Serial} ({record.Name}) was already revoked on {record.RevokedAt:u}.");
}
