using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Transport;

/// <summary>
/// The server's check of a client certificate at every handshake, in two parts: the chain
/// policy the TLS stack applies (this CA alone, never the system store; clientAuth; validity;
/// no downloads of what a certificate points at), then the store: a certificate this CA issued to
/// a user (known serial and thumbprint) and not revoked.
/// During a CA rollover's overlap the previous root is trusted too: users not yet renewed hold
/// certificates under it, and the store knows both roots' certificates.
/// </summary>
public sealed class ClientCertificateValidator(X509Certificate2 ca, ICaStore store, TimeProvider? time = null, X509Certificate2? previousRoot = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The chain policy for SslServerAuthenticationOptions.CertificateChainPolicy, for
    /// one handshake: validity is judged at the server's clock as it is now, not the machine's.</summary>
    public X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            VerificationTime = _time.GetUtcNow().UtcDateTime,
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        if (previousRoot is not null)
        {
            policy.CustomTrustStore.Add(previousRoot);
        }

        policy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
        return policy;
    }

    /// <summary>The checks the TLS stack cannot make: that this CA issued the certificate to a user
    /// (known serial and thumbprint) and has not revoked it. For use after the handshake's own
    /// chain validation against this CA (custom root, clientAuth, validity) succeeded.</summary>
    public PeerIdentity? ValidateIssued(X509Certificate2 certificate, out string refusal) => Issued(store, certificate, out _, out refusal);

    /// <summary>As <see cref="ValidateIssued"/>, with the store's record of the certificate (also
    /// for an expired one, which the renewal gate judges further).</summary>
    internal static PeerIdentity? Issued(ICaStore store, X509Certificate2 certificate, out CertificateRecord? record, out string refusal)
    {
        var serial = certificate.SerialNumber.ToUpperInvariant();
        record = store.GetCertificate(serial);
        if (record is null || record.Kind != CertificateKind.Client || !string.Equals(record.Thumbprint, certificate.Thumbprint, StringComparison.OrdinalIgnoreCase))
        {
            refusal = "the certificate was not issued to a user by this CA";
            return null;
        }

        if (record.RevokedAt is not null)
        {
            refusal = $"the certificate {serial} was revoked";
            return null;
        }

        refusal = "";
        using var key = certificate.GetECDsaPublicKey();
        return new PeerIdentity(record.Name, serial, record.NotAfter, key is null ? null : Crypto.Signatures.PublicPoint(key), record.RenewedFrom);
    }
}
