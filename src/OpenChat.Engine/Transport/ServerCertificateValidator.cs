using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Transport;

/// <summary>
/// The client's check of the server: its certificate must chain to the pinned CA (identified
/// by SHA-256 fingerprint; never the system store), carry serverAuth, name the host the client
/// dialled, be within its validity, and not be one the client knows was revoked.
/// A client that has the CA certificate (an enrolled profile) checks all of it during the
/// handshake, including the revoked serials it keeps from the CA-signed lists it has seen. A
/// client enrolling has only the fingerprints in its invite, and TLS stacks do not send a
/// self-signed root, so it checks the server's key against the invite's pin, name, usage and
/// validity during the handshake, and the chain as soon as the server's Welcome hands over the
/// CA certificate, before it sends anything but Hello.
/// During a CA rollover's overlap a profile pins two roots (<paramref name="additionalRoots"/>
/// besides <paramref name="caCertificate"/>), and the server sends a cross-certificate after its
/// own: the certificates the server sent are used as untrusted intermediates only, so a client
/// that pins only the old root builds leaf, cross-certificate, old root.
/// </summary>
public sealed class ServerCertificateValidator(byte[] pinnedCaFingerprint, string host, X509Certificate2? caCertificate,
    byte[]? serverKeyPin = null, IReadOnlyCollection<string>? revokedSerials = null, TimeProvider? time = null,
    IReadOnlyCollection<X509Certificate2>? additionalRoots = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly X509Certificate2Collection _intermediates = [];

    /// <summary>The server certificate seen in the handshake.</summary>
    public X509Certificate2? Presented { get; private set; }

    public string LastRefusal { get; private set; } = "";

    /// <summary>The stable error id for <see cref="LastRefusal"/>.</summary>
    public string LastRefusalId { get; private set; } = ErrorIds.ServerNotTrusted;

    /// <param name="sent">The chain the TLS stack built from what the server sent, if any: its
    /// certificates beyond the leaf are kept as candidate intermediates, never as trust.</param>
    public bool ValidateHandshake(X509Certificate2? certificate, X509Chain? sent = null)
    {
        if (sent is not null)
        {
            foreach (var extra in sent.ChainPolicy.ExtraStore.Cast<X509Certificate2>().Concat(sent.ChainElements.Skip(1).Select(e => e.Certificate)))
            {
                _intermediates.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
            }
        }

        if (certificate is null)
        {
            return Refuse("the server sent no certificate");
        }

        Presented = certificate;
        if (revokedSerials is not null && revokedSerials.Contains(certificate.SerialNumber, StringComparer.OrdinalIgnoreCase))
        {
            return Refuse(ErrorIds.ServerCertificateRevoked,
                $"the server presented certificate {certificate.SerialNumber.ToUpperInvariant()}, which the CA has revoked (a revocation list this client verified says so): it may be an old key in someone else's hands. If the admin just replaced the server certificate, the server must be restarted to use the new one");
        }

        if (serverKeyPin is not null && !CryptographicOperations.FixedTimeEquals(Pki.InviteCode.KeyPin(certificate), serverKeyPin))
        {
            return Refuse(ErrorIds.ServerKeyMismatch,
                "the server's key is not the one the invite names. Either this is not the server the invite was made for, or its certificate was replaced after the invite was made (then ask the admin for a new invite)");
        }

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

        // Expiry first, so that an expired certificate is called that rather than a chain failure.
        if (!CheckValidity(Presented))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        if (additionalRoots is not null)
        {
            chain.ChainPolicy.CustomTrustStore.AddRange(additionalRoots.ToArray());
        }

        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
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

        return CheckValidity(certificate);
    }

    private bool CheckValidity(X509Certificate2 certificate)
    {
        var now = _time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return Refuse($"the server's certificate is not valid before {certificate.NotBefore.ToUniversalTime():u} (check this machine's clock)");
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            return Refuse($"the server's certificate expired on {certificate.NotAfter.ToUniversalTime():u}");
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

    private bool Refuse(string reason) => Refuse(ErrorIds.ServerNotTrusted, reason);

    private bool Refuse(string id, string reason)
    {
        LastRefusalId = id;
        LastRefusal = reason;
        return false;
    }
}
