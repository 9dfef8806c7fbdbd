using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Group;

/// <summary>Decides whether a member's certificate may speak in a group: it must chain to the
/// pinned CA, be a client certificate within its validity, and not be on the revocation list the
/// client holds. The server is not asked: it is the party the group protects itself from.</summary>
public sealed class MemberVerifier
{
    private List<X509Certificate2> _roots;
    // Serial -> when it was revoked; MinValue when the date is not known (revoked for all time).
    private readonly Dictionary<string, DateTimeOffset> _revoked = new(Roster.SerialComparer);
    private readonly Dictionary<string, bool> _chainCache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>How many chain verdicts are kept. A member can put any certificate in a package,
    /// failing ones included, so the cache is bounded: full, it starts over (a verdict is only
    /// saved work, never a decision that could be lost).</summary>
    internal int ChainCacheLimit { get; init; } = 4096;

    internal int CachedChains
    {
        get
        {
            lock (_gate)
            {
                return _chainCache.Count;
            }
        }
    }

    public MemberVerifier(X509Certificate2 pinnedCa)
    {
        _roots = [pinnedCa];
    }

    /// <summary>Members' certificates may chain to any of <paramref name="pinnedRoots"/> (two
    /// during a CA rollover's overlap).</summary>
    public MemberVerifier(IEnumerable<X509Certificate2> pinnedRoots)
    {
        _roots = [.. pinnedRoots];
    }

    /// <summary>Replaces the roots (a CA rollover pinned or dropped one); verdicts cached under
    /// the old set are forgotten.</summary>
    public void TrustRoots(IReadOnlyList<X509Certificate2> pinnedRoots)
    {
        lock (_gate)
        {
            _roots = [.. pinnedRoots];
            _chainCache.Clear();
        }
    }

    /// <summary>Marks serials revoked at a time not known: they count as revoked for every
    /// event, past or present, until a signed list gives the date.</summary>
    public void MarkRevoked(IEnumerable<string> serials) => MarkRevoked(serials.Select(s => new RevokedSerial(s, DateTimeOffset.MinValue)));

    /// <summary>Marks serials revoked from the date the CA's list gives. A date already known is
    /// never moved later (a revocation only ever counts for more events, not fewer), except that
    /// an unknown date is replaced by the list's.</summary>
    public void MarkRevoked(IEnumerable<RevokedSerial> entries)
    {
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                if (!_revoked.TryGetValue(entry.Serial, out var known) || known == DateTimeOffset.MinValue || entry.RevokedAt < known)
                {
                    _revoked[entry.Serial] = entry.RevokedAt;
                }
            }
        }
    }

    /// <summary>Every serial marked revoked so far with its date (kept with the session, so a
    /// restart does not forget a revocation before the next list arrives).</summary>
    public IReadOnlyList<RevokedSerial> Revocations
    {
        get
        {
            lock (_gate)
            {
                return _revoked.Select(r => new RevokedSerial(r.Key, r.Value)).ToList();
            }
        }
    }

    public IReadOnlyList<string> RevokedSerials
    {
        get
        {
            lock (_gate)
            {
                return [.. _revoked.Keys];
            }
        }
    }

    /// <summary>Revoked now (for deciding what this device does next).</summary>
    public bool IsRevoked(string serial)
    {
        lock (_gate)
        {
            return _revoked.ContainsKey(serial);
        }
    }

    /// <summary>Revoked before <paramref name="at"/> (for judging an event the server sequenced
    /// at that time). A list's dates have whole seconds, so the revocation happened somewhere in
    /// the second it names: only an event from the next second on is surely after it. (The server
    /// itself stops a revoked device within a fraction of that second.)</summary>
    public bool IsRevokedAt(string serial, DateTimeOffset at)
    {
        lock (_gate)
        {
            return RevokedBy(serial, at);
        }
    }

    /// <summary>Possibly revoked at <paramref name="at"/>: the list names a second at or before
    /// it. A removal is allowed on this (the member may have been revoked already); the member's
    /// own events are refused only on <see cref="IsRevokedAt"/>.</summary>
    public bool MayBeRevokedAt(string serial, DateTimeOffset at)
    {
        lock (_gate)
        {
            return _revoked.TryGetValue(serial, out var when) && when <= at;
        }
    }

    private bool RevokedBy(string serial, DateTimeOffset at) =>
        _revoked.TryGetValue(serial, out var when) && (when == DateTimeOffset.MinValue || (at > when && at - when >= TimeSpan.FromSeconds(1)));

    /// <summary>Chain, client profile, validity and revocation, all judged at <paramref name="at"/>.</summary>
    public bool Verify(X509Certificate2 certificate, DateTimeOffset at, out string reason)
    {
        var refusal = Check(certificate, at);
        reason = refusal?.Reason ?? "";
        return refusal is null;
    }

    /// <summary>As <see cref="Verify"/>, with the typed reason: null when the certificate may speak.</summary>
    internal Refusal? Check(X509Certificate2 certificate, DateTimeOffset at)
    {
        lock (_gate)
        {
            return CheckLocked(certificate, at);
        }
    }

    private Refusal? CheckLocked(X509Certificate2 certificate, DateTimeOffset at)
    {
        if (RevokedBy(certificate.SerialNumber, at))
        {
            return MemberValidity.Revoked;
        }

        if (!ClockSkew.HasStarted(certificate.NotBefore.ToUniversalTime(), at) || at > certificate.NotAfter.ToUniversalTime())
        {
            return MemberValidity.OutsideValidity;
        }

        var thumbprint = certificate.Thumbprint;
        if (!_chainCache.TryGetValue(thumbprint, out var chains))
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_roots.ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what a peer's certificate points at
            chain.ChainPolicy.VerificationTime = certificate.NotBefore.AddMinutes(10) < certificate.NotAfter ? certificate.NotBefore.AddMinutes(10) : certificate.NotBefore;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
            chains = ChainBuilding.Chains(chain, certificate);
            if (_chainCache.Count >= ChainCacheLimit)
            {
                _chainCache.Clear();
            }

            _chainCache[thumbprint] = chains;
        }

        return chains ? null : new Refusal(RejectReason.CertificateNotFromPinnedCa, "the certificate does not chain to the pinned CA");
    }
}
