using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>What the handshake makes of a client certificate that is sound but for its
/// validity period: <see cref="Identity"/> (a renewal-only connection) when it may still renew,
/// or <see cref="Goodbye"/>, the clear refusal sent after Hello, when it cannot.</summary>
internal sealed record ExpiredVerdict(PeerIdentity? Identity, Protocol.Bye? Goodbye);

/// <summary>
/// The server's look at a client certificate that failed the TLS stack's chain check. Only a
/// certificate that chains to this CA with clientAuth once time is set aside, that this CA issued
/// to a user, that is not revoked and that has expired (not one that is not valid yet) gets
/// further than the handshake: within the grace window as a connection that may only renew,
/// otherwise as far as a goodbye that tells the user what to do, instead of a bare refused
/// handshake. Everything else is refused in the handshake, as before.
/// </summary>
internal sealed class ExpiredCertificateGate(ICaStore store, X509ChainPolicy policy, Func<TimeSpan> grace, TimeProvider time)
{
    /// <summary>Null when the certificate is refused in the handshake (<paramref name="refusal"/> says why).</summary>
    public ExpiredVerdict? Judge(X509Certificate2 certificate, out string refusal)
    {
        var now = time.GetUtcNow();
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (now <= notAfter && new DateTimeOffset(certificate.NotBefore.ToUniversalTime()) <= now)
        {
            // Valid by the server's clock though the platform's disagrees: not a case of expiry.
            refusal = "the certificate does not chain to this server's CA, is outside its validity or lacks clientAuth";
            return null;
        }

        if (now < notAfter || !Chains(certificate))
        {
            refusal = "the certificate does not chain to this server's CA, is not valid yet or lacks clientAuth";
            return null;
        }

        var identity = Transport.ClientCertificateValidator.Issued(store, certificate, out var found, out refusal);
        if (identity is null)
        {
            return null;
        }

        var record = found!;
        var serial = record.Serial;
        if (record.RenewedBy is not null && ClientRenewal.Repeated(store, certificate, null, now) is null)
        {
            var e = ClientRenewal.AlreadyRenewed(serial, record.RenewedBy);
            return new ExpiredVerdict(null, new Protocol.Bye(e.ErrorId, e.Message));
        }

        var window = grace();
        if (!ClientRenewal.WithinGrace(record.NotAfter, now, window))
        {
            var e = ClientRenewal.WindowPassed(record, window);
            return new ExpiredVerdict(null, new Protocol.Bye(ErrorIds.CertificateExpired, e.Message));
        }

        return new ExpiredVerdict(identity, null);
    }

    private bool Chains(X509Certificate2 certificate)
    {
        // Checked as of its last valid second: everything but the expiry must hold.
        var asOfExpiry = policy.Clone();
        asOfExpiry.VerificationTimeIgnored = false;
        asOfExpiry.VerificationTime = certificate.NotAfter.ToUniversalTime().AddSeconds(-1);
        using var chain = new X509Chain { ChainPolicy = asOfExpiry };
        try
        {
            // Any root the handshake trusts: during a CA rollover's overlap a certificate under the
            // previous root may have lapsed too.
            return ChainBuilding.Chains(chain, certificate)
                && asOfExpiry.CustomTrustStore.Cast<X509Certificate2>().Any(root => chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(root.RawData));
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
