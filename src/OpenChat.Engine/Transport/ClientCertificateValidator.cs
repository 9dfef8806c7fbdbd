using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Transport;

/// <summary>
/// The server's check of a client certificate at every handshake: it must chain to this CA
/// alone (never the system store), be within its validity, carry the clientAuth EKU, be a
/// certificate this CA issued (known serial and thumbprint) and not be revoked.
/// </summary>
public sealed class ClientCertificateValidator(X509Certificate2 ca, ICaStore store, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Returns the identity, or null with the reason it was refused.</summary>
    public PeerIdentity? Validate(X509Certificate2 certificate, out string refusal)
    {
        var now = _time.GetUtcNow();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what a peer's certificate points at
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
        if (!chain.Build(certificate))
        {
            refusal = "the certificate does not chain to this server's CA, is outside its validity or lacks clientAuth: "
                + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
            return null;
        }

        return ValidateIssued(certificate, out refusal);
    }

    /// <summary>The checks the TLS stack cannot make: that this CA issued the certificate to a user
    /// (known serial and thumbprint) and has not revoked it. For use after the handshake's own
    /// chain validation against this CA (custom root, clientAuth, validity) succeeded.</summary>
    public PeerIdentity? ValidateIssued(X509Certificate2 certificate, out string refusal)
    {
        var serial = certificate.SerialNumber.ToUpperInvariant();
        var record = store.GetCertificate(serial);
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
        return new PeerIdentity(record.Name, serial, record.NotAfter);
    }
}
