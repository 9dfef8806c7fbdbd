using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat;

/// <summary>A certificate issued by an OpenChat CA, as the cmdlets show it.</summary>
public sealed class ChatCertificate
{
    internal ChatCertificate(CertificateRecord record, DateTimeOffset now, X509Certificate2? certificate = null, string? outFile = null)
    {
        Name = record.Name;
        UserName = record.Kind == CertificateKind.Client ? record.Name : null;
        Kind = record.Kind;
        Serial = record.Serial;
        Thumbprint = record.Thumbprint;
        Status = record.StatusAt(now);
        NotBefore = record.NotBefore;
        NotAfter = record.NotAfter;
        IssuedAt = record.IssuedAt;
        RevokedAt = record.RevokedAt;
        RevocationReason = record.RevocationReason;
        RenewedFrom = record.RenewedFrom;
        RenewedBy = record.RenewedBy;
        Certificate = certificate ?? record.ToCertificate();
        OutFile = outFile;
    }

    /// <summary>The user name of a client certificate, or the primary name of a server's.</summary>
    public string Name { get; }

    public string? UserName { get; }

    public CertificateKind Kind { get; }

    public string Serial { get; }

    public string Thumbprint { get; }

    public CertificateStatus Status { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public DateTimeOffset IssuedAt { get; }

    public DateTimeOffset? RevokedAt { get; }

    public X509RevocationReason? RevocationReason { get; }

    /// <summary>The serial of the certificate this one renewed (null for a first issuance).</summary>
    public string? RenewedFrom { get; }

    /// <summary>The serial of the certificate that renewed this one, which replaces it (null
    /// while this one is the newest of its device).</summary>
    public string? RenewedBy { get; }

    /// <summary>True when <see cref="Certificate"/> carries the private key (just issued here).</summary>
    public bool HasPrivateKey => Certificate.HasPrivateKey;

    public X509Certificate2 Certificate { get; }

    /// <summary>Where the certificate was written, when -OutFile was used.</summary>
    public string? OutFile { get; }

    public override string ToString() => $"{Name} ({Serial})";
}
