using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Transport;

/// <summary>
/// The client's check of the server: the certificate must chain to the pinned CA (identified by
/// its SHA-256 fingerprint, never the system store), carry serverAuth and name the host the
/// client dialled. During enrollment the client has only the fingerprint, so the CA certificate
/// is taken from the chain the server sent and accepted only if its fingerprint matches.
/// </summary>
public sealed class ServerCertificateValidator(byte[] pinnedCaFingerprint, string host)
{
    /// <summary>The CA certificate that matched the pin during the last successful check.</summary>
    public X509Certificate2? MatchedCa { get; private set; }

    public string LastRefusal { get; private set; } = "";

    public bool Validate(X509Certificate2? certificate, X509Chain? presented)
    {
        if (certificate is null)
        {
            return Refuse("the server sent no certificate");
        }

        var candidates = (presented?.ChainElements.Select(e => e.Certificate) ?? [])
            .Concat(presented?.ChainPolicy.ExtraStore ?? [])
            .Where(c => CryptographicOperations.FixedTimeEquals(SHA256.HashData(c.RawData), pinnedCaFingerprint))
            .ToList();
        var ca = candidates.FirstOrDefault();
        if (ca is null)
        {
            return Refuse("the server's certificate does not come from the pinned CA");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ServerAuthOid));
        if (!chain.Build(certificate) || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(chain.ChainElements[^1].Certificate.RawData), pinnedCaFingerprint))
        {
            return Refuse("the server's certificate does not chain to the pinned CA: "
                + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        }

        if (!MatchesHost(certificate, host))
        {
            return Refuse($"the server's certificate is not valid for '{host}'");
        }

        MatchedCa = X509CertificateLoader.LoadCertificate(ca.RawData);
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
