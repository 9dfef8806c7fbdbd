using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Transport;

/// <summary>
/// The client's check of the server: its certificate must chain to the pinned CA (identified
/// by SHA-256 fingerprint; never the system store), carry serverAuth and name the host the
/// client dialled.
/// A client that has the CA certificate (an enrolled profile) checks all of it during the
/// handshake. A client enrolling has only the fingerprint, and TLS stacks do not send a
/// self-signed root, so it checks name and usage during the handshake and the chain as soon as
/// the server's Welcome hands over the CA certificate, before it sends anything but Hello.
/// </summary>
public sealed class ServerCertificateValidator(byte[] pinnedCaFingerprint, string host, X509Certificate2? caCertificate)
{
    /// <summary>The server certificate seen in the handshake.</summary>
    public X509Certificate2? Presented { get; private set; }

    public string LastRefusal { get; private set; } = "";

    public bool ValidateHandshake(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return Refuse("the server sent no certificate");
        }

        Presented = certificate;
        return caCertificate is null ? CheckNameAndUsage(certificate) : Confirm(caCertificate);
    }

    /// <summary>The full check against <paramref name="ca"/>, which must be the pinned CA.</summary>
    public bool Confirm(X509Certificate2 ca)
    {
        if (Presented is null)
        {
            return Refuse("no server certificate was seen");
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(ca.RawData), pinnedCaFingerprint))
        {
            return Refuse("the server's CA is not the pinned CA (fingerprint mismatch)");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what a peer's certificate points at
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ServerAuthOid));
        if (!chain.Build(Presented))
        {
            return Refuse("the server's certificate does not chain to the pinned CA: "
                + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        }

        return CheckNameAndUsage(Presented);
    }

    private bool CheckNameAndUsage(X509Certificate2 certificate)
    {
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null || !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CertificateProfile.ServerAuthOid))
        {
            return Refuse("the server's certificate is not for server authentication");
        }

        if (!MatchesHost(certificate, host))
        {
            return Refuse($"the server's certificate is not valid for '{host}'");
        }

        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            return Refuse("the server's certificate is outside its validity period");
        }

        return true;
    }

    private static bool MatchesHost(X509Certificate2 certificate, string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
            return san is not null && san.EnumerateIPAddresses().Any(a => a.Equals(address));
        }

        return certificate.MatchesHostname(host, allowWildcards: false, allowCommonName: false);
    }

    private bool Refuse(string reason)
    {
        LastRefusal = reason;
        return false;
    }
}
