using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>
/// Which user certificates the CA renews, and when a device renews its own. A renewal is asked
/// for with the certificate being renewed (over a connection authenticated by its key), so the
/// rules are about that certificate: issued here to a user (known serial, the same DER), never
/// revoked, the newest of its renewal chain (a certificate renewed once never renews again, so a
/// stolen old key cannot fork the device after its owner renewed), and not expired for longer
/// than the grace window. The name policy of issuance applies again.
/// </summary>
public static class ClientRenewal
{
    /// <summary>How long after expiry a certificate may still renew itself, unless the admin
    /// sets another span: a month covers holidays, and past it an invite re-enrolls the device.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromDays(30);

    /// <summary>The longest grace window an admin may set: a year past expiry is no longer a
    /// renewal but a second lifetime for a key nobody vouched for since.</summary>
    public static readonly TimeSpan MaxGracePeriod = TimeSpan.FromDays(365);

    /// <summary>True once two thirds of the certificate's validity have passed at <paramref name="now"/>
    /// (the same mark the server's own certificate renews at).</summary>
    public static bool IsDue(X509Certificate2 certificate, DateTimeOffset now) => ServerCertificateRenewal.IsDue(certificate, now);

    /// <summary>Refuses a grace window below zero or over <see cref="MaxGracePeriod"/> (zero turns grace off).</summary>
    public static TimeSpan CheckGracePeriod(TimeSpan grace) =>
        grace < TimeSpan.Zero || grace > MaxGracePeriod
            ? throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                $"The renewal grace period must be between 0 (no renewal after expiry) and {MaxGracePeriod.TotalDays} days (got {grace}).")
            : grace;

    /// <summary>True when an expired certificate is still inside the grace window at <paramref name="now"/>.</summary>
    public static bool WithinGrace(DateTimeOffset notAfter, DateTimeOffset now, TimeSpan grace) =>
        grace > TimeSpan.Zero && now - notAfter <= grace;

    /// <summary>The record of <paramref name="current"/> if it may renew at <paramref name="now"/>; throws the refusal otherwise.</summary>
    public static CertificateRecord Check(ICaStore store, X509Certificate2 current, DateTimeOffset now, TimeSpan grace)
    {
        var serial = current.SerialNumber.ToUpperInvariant();
        var record = store.GetCertificate(serial);
        if (record is null || record.Kind != CertificateKind.Client || !record.RawData.AsSpan().SequenceEqual(current.RawData))
        {
            throw new OpenChatException(ErrorIds.CertificateNotFromCa, ErrorKind.PolicyViolation,
                $"Certificate {serial} was not issued to a user by this CA; it cannot be renewed here.");
        }

        if (record.RevokedAt is not null)
        {
            throw Revoked(serial);
        }

        if (record.RenewedBy is not null)
        {
            throw AlreadyRenewed(serial, record.RenewedBy);
        }

        if (now < record.NotBefore)
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.PolicyViolation,
                $"Certificate {serial} is valid only from {record.NotBefore:u}; check this machine's clock.");
        }

        if (now > record.NotAfter && !WithinGrace(record.NotAfter, now, grace))
        {
            throw WindowPassed(record, grace);
        }

        UserNamePolicy.Validate(record.Name);
        ServerNames.EnsureNotServerName(store, record.Name);
        // Once a name lapsed, an admin may have given it to someone else: a certificate issued
        // for it after this one expired is not this device's, and renewing would make two owners.
        if (now > record.NotAfter && store.FindCertificates(CertificateKind.Client, record.NormalizedName)
                .Any(r => r.Serial != record.Serial && r.IssuedAt > record.NotAfter && r.StatusAt(now) == CertificateStatus.Valid))
        {
            throw UserNamePolicy.Taken(record.Name);
        }

        return record;
    }

    /// <summary>The renewal <paramref name="current"/> was already given, when asking again is the
    /// same request: its successor carries the key this request names (the current key, or the
    /// CSR's) and is neither revoked nor expired. Null otherwise (a successor with another key is
    /// someone else's renewal, refused by <see cref="Check"/> as already renewed).</summary>
    public static CertificateRecord? Repeated(ICaStore store, X509Certificate2 current, string? csrPem, DateTimeOffset now)
    {
        var record = store.GetCertificate(current.SerialNumber.ToUpperInvariant());
        if (record is not { Kind: CertificateKind.Client, RevokedAt: null, RenewedBy: { } successorSerial }
            || !record.RawData.AsSpan().SequenceEqual(current.RawData)
            || store.GetCertificate(successorSerial) is not { RevokedAt: null } successor || now > successor.NotAfter)
        {
            return null;
        }

        var requested = csrPem is null ? current.PublicKey.ExportSubjectPublicKeyInfo() : CsrPolicy.Check(csrPem, record.Name).ExportSubjectPublicKeyInfo();
        using var issued = X509CertificateLoader.LoadCertificate(successor.RawData);
        return issued.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(requested) ? successor : null;
    }

    /// <summary>How long the renewal of <paramref name="previous"/> lasts: as long as it was
    /// issued for (from its issuance, so the clock-skew allowance before it does not add up over
    /// renewals), to the minute, within what the CA issues at all.</summary>
    /// A lifetime that was cut at the end of the root that issued it (<paramref name="issuerEnd"/>)
    /// was not what anyone asked for: its renewal gets the default lifetime instead, or every
    /// renewal under a new root would repeat the cut for good.
    public static TimeSpan Lifetime(CertificateRecord previous, DateTimeOffset? issuerEnd = null)
    {
        if (issuerEnd is { } end && previous.NotAfter >= end - TimeSpan.FromMinutes(1))
        {
            return TimeSpan.FromDays(CertificateAuthority.DefaultClientValidDays);
        }

        var lifetime = TimeSpan.FromMinutes(Math.Round((previous.NotAfter - previous.IssuedAt).TotalMinutes));
        var longest = TimeSpan.FromDays(CertificateAuthority.MaxLeafValidDays);
        return lifetime < CertificateLifetime.Minimum ? CertificateLifetime.Minimum : lifetime > longest ? longest : lifetime;
    }

    internal static OpenChatException Revoked(string serial) =>
        new(ErrorIds.RenewalOfRevokedCertificate, ErrorKind.PolicyViolation,
            $"Renewal refused: certificate {serial} was revoked by the admin, and a revoked certificate never renews. Ask the admin for a new invite.");

    internal static OpenChatException AlreadyRenewed(string serial, string successor) =>
        new(ErrorIds.CertificateAlreadyRenewed, ErrorKind.PolicyViolation,
            $"Renewal refused: certificate {serial} was already renewed (as {successor}). If this device did not renew it, someone else holds its key: tell the admin, who should revoke {successor}.");

    internal static OpenChatException WindowPassed(CertificateRecord record, TimeSpan grace) =>
        new(ErrorIds.RenewalWindowPassed, ErrorKind.PolicyViolation, grace > TimeSpan.Zero
            ? $"Renewal refused: certificate {record.Serial} expired on {record.NotAfter:u}, more than {Friendly(grace)} ago (the renewal grace period). Ask the admin for an invite and re-enroll with Register-ChatUser -Invite <code> -Identity <profile>."
            : $"Renewal refused: certificate {record.Serial} expired on {record.NotAfter:u} and this server renews no expired certificate. Ask the admin for an invite and re-enroll with Register-ChatUser -Invite <code> -Identity <profile>.");

    internal static string Friendly(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0} days"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0} hours"
        : $"{span.TotalMinutes:0.#} minutes";
}
