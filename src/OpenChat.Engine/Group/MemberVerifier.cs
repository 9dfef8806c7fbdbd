using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Group;

/// <summary>Decides whether a member's certificate may speak in a group: it must chain to the
/// pinned CA, be a client certificate within its validity, and not be on the revocation list the
/// client holds. The server is not asked: it is the party the group protects itself from.</summary>
public sealed class MemberVerifier
{
    private readonly X509Certificate2 _ca;
    private readonly HashSet<string> _revoked = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, bool> _chainCache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public MemberVerifier(X509Certificate2 pinnedCa)
    {
        _ca = pinnedCa;
    }

    public void MarkRevoked(IEnumerable<string> serials)
    {
        lock (_gate)
        {
            foreach (var serial in serials)
            {
                _revoked.Add(serial);
            }
        }
    }

    /// <summary>Every serial marked revoked so far (kept with the session, so a restart does not
    /// forget a revocation before the next list arrives).</summary>
    public IReadOnlyList<string> RevokedSerials
    {
        get
        {
            lock (_gate)
            {
                return [.. _revoked];
            }
        }
    }

    public bool IsRevoked(string serial)
    {
        lock (_gate)
        {
            return _revoked.Contains(serial);
        }
    }

    public bool Verify(X509Certificate2 certificate, DateTimeOffset at, out string reason)
    {
        lock (_gate)
        {
            return VerifyLocked(certificate, at, out reason);
        }
    }

    private bool VerifyLocked(X509Certificate2 certificate, DateTimeOffset at, out string reason)
    {
        if (_revoked.Contains(certificate.SerialNumber))
        {
            reason = "the certificate is revoked";
            return false;
        }

        if (at < certificate.NotBefore.ToUniversalTime().AddMinutes(-5) || at > certificate.NotAfter.ToUniversalTime())
        {
            reason = "the certificate is outside its validity";
            return false;
        }

        var thumbprint = certificate.Thumbprint;
        if (!_chainCache.TryGetValue(thumbprint, out var chains))
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what a peer's certificate points at
            chain.ChainPolicy.VerificationTime = certificate.NotBefore.AddMinutes(10) < certificate.NotAfter ? certificate.NotBefore.AddMinutes(10) : certificate.NotBefore;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
            chains = chain.Build(certificate);
            _chainCache[thumbprint] = chains;
        }

        reason = chains ? "" : "the certificate does not chain to the pinned CA";
        return chains;
    }
}
