using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>
/// A cross-certificate as the proof that a root may be pinned: a root the holder already trusts
/// signed a certificate for exactly the offered root's name and key, with CA rights. Whoever
/// holds the trusted root's key vouches for the new one; nobody else can make such a proof.
/// </summary>
public static class RootProof
{

    /// <summary>The cross-certificate by which <paramref name="issuer"/> (with its key) certifies
    /// <paramref name="subject"/>'s name and key: CA, keyCertSign and cRLSign, valid from now to
    /// the end of whichever of the two roots ends first.</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, ECDsa issuerKey, X509Certificate2 subject, DateTimeOffset now)
    {
        var request = new CertificateRequest(subject.SubjectName, subject.PublicKey, CertificateProfile.HashFor(issuerKey));
        CertificateProfile.ApplyCross(request, issuer);
        var issuerStart = new DateTimeOffset(issuer.NotBefore.ToUniversalTime());
        // Back-dated like the CA's other certificates, so a clock the tolerance slow accepts it at once.
        var notBefore = now - ClockSkew.Backdating < issuerStart ? issuerStart : now - ClockSkew.Backdating;
        var ends = new[] { issuer.NotAfter.ToUniversalTime(), subject.NotAfter.ToUniversalTime() }.Min();
        return request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, new DateTimeOffset(ends), CertificateProfile.NewSerial());
    }

    /// <summary>Null when <paramref name="proof"/> shows that a root among <paramref name="pinned"/>
    /// certified exactly <paramref name="offered"/> (its subject and key), both valid at
    /// <paramref name="now"/>; otherwise why not.</summary>
    public static string? Check(X509Certificate2 offered, X509Certificate2 proof, IEnumerable<X509Certificate2> pinned, DateTimeOffset now)
    {
        if (!IsCa(offered) || !offered.SubjectName.RawData.AsSpan().SequenceEqual(offered.IssuerName.RawData))
        {
            return "the offered root is not a self-issued CA certificate";
        }

        if (!offered.SubjectName.RawData.AsSpan().SequenceEqual(proof.SubjectName.RawData)
            || !offered.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(proof.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            return "the cross-certificate certifies another name or key than the offered root's";
        }

        if (!IsCa(proof))
        {
            return "the cross-certificate does not grant CA rights";
        }

        // The offered root's own signature and validity (it is its own issuer).
        if (!Chains(offered, [offered], now, 1, out var selfReason))
        {
            return "the offered root is not valid: " + selfReason;
        }

        // The proof directly under a pinned root: its signature, its validity and the issuer's rights.
        var roots = pinned.ToList();
        if (roots.Count == 0)
        {
            return "no root is pinned";
        }

        if (!Chains(proof, roots, now, 2, out var reason))
        {
            return "the cross-certificate is not signed by a pinned root: " + reason;
        }

        return null;
    }

    private static bool IsCa(X509Certificate2 certificate)
    {
        var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return constraints is { CertificateAuthority: true } && usage is not null && usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign);
    }

    private static bool Chains(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> roots, DateTimeOffset now, int length, out string reason)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what an offered certificate points at
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        var built = ChainBuilding.Chains(chain, certificate);
        var count = chain.ChainElements.Count;
        var top = count > 0 ? chain.ChainElements[count - 1].Certificate : null;
        var anchored = top is not null && roots.Any(r => r.RawData.AsSpan().SequenceEqual(top.RawData));
        // Directly under a root: a cross-certificate is one step, never a path through others.
        var direct = count == length;
        reason = built && anchored && direct
            ? ""
            : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).DefaultIfEmpty("it does not chain directly to one"));
        return built && anchored && direct;
    }
}
