using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Client;

/// <summary>
/// The client's check of a certificate the server handed back as this device's renewal, before
/// anything is stored: it chains to the pinned CA (and nothing else), is for clientAuth, names
/// this user, carries the key the device expects (its own, or the new one it asked for), and is
/// valid now (or, when this device's clock is off, at least lasts longer than the certificate it
/// replaces: the server judged by its own clock, and refusing would lose a renewal already
/// recorded, since a certificate renews only once). A server that answers with anything else is not trusted with the identity.
/// </summary>
public static class RenewedCertificateCheck
{
    // A client clock up to the tolerance behind the CA's must still accept a fresh certificate.
    private static readonly TimeSpan Skew = ClockSkew.Tolerance;

    public static void Check(X509Certificate2 renewed, X509Certificate2 pinnedCa, string userName, ReadOnlySpan<byte> expectedSpki, DateTimeOffset now,
        X509Certificate2? previous = null) => Check(renewed, [pinnedCa], userName, expectedSpki, now, previous);

    /// <summary>As above, against every root the profile pins (after a CA rollover, the renewal is
    /// issued under the new root).</summary>
    public static void Check(X509Certificate2 renewed, IReadOnlyList<X509Certificate2> pinnedRoots, string userName, ReadOnlySpan<byte> expectedSpki, DateTimeOffset now,
        X509Certificate2? previous = null)
    {
        var notAfter = renewed.NotAfter.ToUniversalTime();
        // Certificate times are whole seconds: a renewal in the same second as its predecessor ends with it.
        var extends = previous is not null && !string.Equals(renewed.SerialNumber, previous.SerialNumber, StringComparison.OrdinalIgnoreCase)
            && notAfter >= previous.NotAfter.ToUniversalTime();
        string? refusal = null;
        if (!string.Equals(renewed.GetNameInfo(X509NameType.SimpleName, false), userName, StringComparison.Ordinal))
        {
            refusal = $"it names '{UserNamePolicy.Printable(renewed.GetNameInfo(X509NameType.SimpleName, false))}', not {userName}";
        }
        else if (!renewed.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(expectedSpki))
        {
            refusal = "it carries another key than this device's";
        }
        else if ((now + Skew < renewed.NotBefore.ToUniversalTime() || now >= notAfter) && !extends)
        {
            refusal = $"it is valid only from {renewed.NotBefore.ToUniversalTime():u} to {renewed.NotAfter.ToUniversalTime():u}";
        }
        else if (!Chains(renewed, pinnedRoots, now))
        {
            refusal = "it does not chain to the pinned CA for clientAuth";
        }

        if (refusal is not null)
        {
            throw new OpenChatException(ErrorIds.ServerNotTrusted, ErrorKind.AuthenticationFailed,
                $"The server's renewed certificate was refused: {refusal}. Nothing was stored; the current certificate stays.");
        }
    }

    private static bool Chains(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> roots, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
        // Judged at a moment inside its validity (ours, when our clock agrees), so an off clock
        // fails the validity rule above, not the chain.
        var notBefore = certificate.NotBefore.ToUniversalTime();
        var at = now.UtcDateTime < notBefore || now.UtcDateTime >= certificate.NotAfter.ToUniversalTime() ? notBefore.AddSeconds(1) : now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.VerificationTime = at;
        try
        {
            return chain.Build(certificate) && roots.Any(root => chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(root.RawData));
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }
}
