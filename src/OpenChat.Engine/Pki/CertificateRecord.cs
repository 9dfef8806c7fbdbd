using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

public enum CertificateKind
{
    Client,
    Server,
}

public enum CertificateStatus
{
    Valid,
    Revoked,
    Expired,
}

/// <summary>What the CA remembers about a certificate it issued. <see cref="Name"/> is the user
/// name for a client certificate and the primary DNS name (or address) for a server one.</summary>
public sealed record CertificateRecord(
    string Serial,
    CertificateKind Kind,
    string Name,
    string Thumbprint,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset IssuedAt,
    byte[] RawData,
    DateTimeOffset? RevokedAt = null,
    X509RevocationReason? RevocationReason = null,
    string? RenewedFrom = null,
    string? RenewedBy = null)
{
    /// <summary>True once a later certificate renewed this one: its successor is what is in force
    /// for the device, and this one may not renew again.</summary>
    public bool WasRenewed => RenewedBy is not null;

    public string NormalizedName => Kind == CertificateKind.Client ? UserNamePolicy.Normalize(Name) : Name.ToLowerInvariant();

    public CertificateStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? CertificateStatus.Revoked
        : now > NotAfter ? CertificateStatus.Expired
        : CertificateStatus.Valid;

    /// <summary>True when the certificate is in force at <paramref name="now"/> (issued, not
    /// revoked, not expired), stops being so within <paramref name="within"/>, and was not renewed
    /// already (then its successor's expiry is what matters).</summary>
    public bool IsExpiringWithin(DateTimeOffset now, TimeSpan within) =>
        !WasRenewed && StatusAt(now) == CertificateStatus.Valid && NotBefore <= now && NotAfter - now <= within;

    public X509Certificate2 ToCertificate() => X509CertificateLoader.LoadCertificate(RawData);
}
