using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>
/// A device's statement, signed by the key it is leaving, that its next certificate's key is its
/// own: what lets contacts take a new key as "the same device renewed its key" rather than as an
/// unexplained key change. It binds the user, both keys (by SHA-256 of their SPKI) and the time it
/// was made; it carries the previous certificate so anyone can check that certificate against the
/// pinned CA. A handover proves only that the holder of the old key chose the new one: someone
/// who stole the old key could make one too (docs/security.md says what that buys them).
/// </summary>
public sealed record KeyHandover(byte[] PreviousCertificate, byte[] NextKeyHash, DateTimeOffset Made, byte[] Signature)
{
    public const byte Version = 1;

    /// <summary>How far apart the handover's time and the start of the next certificate may be:
    /// the handover is made when the renewal is issued, so the two agree within clock skew.</summary>
    public static readonly TimeSpan IssueWindow = TimeSpan.FromHours(1);

    private static readonly byte[] Label = "OpenChat v1 key handover"u8.ToArray();

    private X509Certificate2? _previous;

    public X509Certificate2 LoadPrevious() => _previous ??= Pki.PeerCertificate.Load(PreviousCertificate);

    /// <summary>The device fingerprint (hex SHA-256 of the SPKI) of the key handed over from, as contacts pin it.</summary>
    public string PreviousFingerprint => Convert.ToHexString(SpkiHash(LoadPrevious()));

    public static byte[] SpkiHash(X509Certificate2 certificate) => SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    public static byte[] SpkiHash(ECDsa key) => SHA256.HashData(key.ExportSubjectPublicKeyInfo());

    /// <summary>Signs, with <paramref name="previousKey"/> (the key of <paramref name="previous"/>),
    /// that <paramref name="nextKey"/> is the device's next key.</summary>
    public static KeyHandover Create(X509Certificate2 previous, ECDsa previousKey, ECDsa nextKey, DateTimeOffset now)
    {
        var unsigned = new KeyHandover(previous.RawData, SpkiHash(nextKey), DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()), []);
        return unsigned with { Signature = Signatures.Sign(previousKey, unsigned.SignedPart(UserOf(previous))) };
    }

    public byte[] ToBytes()
    {
        return PayloadWriter.Body(PreviousCertificate.Length + 160).U8(Version).Bytes(PreviousCertificate).Bytes(NextKeyHash)
            .I64(Made.ToUnixTimeMilliseconds()).Bytes(Signature).ToBody();
    }

    /// <summary>Reads a handover; a malformed one is a <see cref="CryptoException"/>.</summary>
    public static KeyHandover Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var r = new PayloadReader(bytes);
            if (r.U8() != Version)
            {
                throw new CryptoException("Unknown key handover version.");
            }

            var previous = r.Bytes();
            var next = r.Bytes();
            var made = r.I64();
            var signature = r.Bytes();
            r.End();
            if (next.Length != 32 || made < 0 || made > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                throw new CryptoException("A key handover with an impossible field.");
            }

            return new KeyHandover(previous, next, DateTimeOffset.FromUnixTimeMilliseconds(made), signature);
        }
        catch (ProtocolException e)
        {
            throw new CryptoException($"Malformed key handover: {e.Message}");
        }
    }

    /// <summary>Whether this hands the device over to <paramref name="next"/>: the previous
    /// certificate chains to the pinned CA and was valid and unrevoked when the handover was made,
    /// both name the same user, the handover names the next certificate's key, the next
    /// certificate began within <see cref="IssueWindow"/> of it, and the previous key signed it.
    /// Null when it does.</summary>
    internal Refusal? Check(MemberVerifier verifier, X509Certificate2 next)
    {
        X509Certificate2 previous;
        try
        {
            previous = LoadPrevious();
        }
        catch (CryptographicException)
        {
            return new Refusal(RejectReason.HandoverMalformed, "the handover's previous certificate cannot be read");
        }

        if (verifier.Check(previous, Made) is not null)
        {
            return new Refusal(RejectReason.HandoverPreviousNotValid, "the handover's previous certificate was not a valid certificate of the pinned CA when it was made");
        }

        var user = UserOf(previous);
        if (!Roster.SameName(user, UserOf(next)))
        {
            return new Refusal(RejectReason.HandoverOtherUser, "the handover is from another user's certificate");
        }

        if (!CryptographicOperations.FixedTimeEquals(NextKeyHash, SpkiHash(next)))
        {
            return new Refusal(RejectReason.HandoverOtherKey, "the handover names another key");
        }

        var nextStart = new DateTimeOffset(next.NotBefore.ToUniversalTime());
        if ((nextStart - Made).Duration() > IssueWindow)
        {
            return new Refusal(RejectReason.HandoverOutOfTime, "the certificate did not begin when the handover was made");
        }

        using var key = previous.GetECDsaPublicKey();
        return key is not null && Signatures.Verify(key, SignedPart(user), Signature)
            ? null
            : new Refusal(RejectReason.HandoverBadSignature, "the handover's signature does not verify under the previous key");
    }

    /// <summary>As <see cref="Check"/>, with the reason as a sentence.</summary>
    public bool Verify(MemberVerifier verifier, X509Certificate2 next, out string reason)
    {
        var refusal = Check(verifier, next);
        reason = refusal?.Reason ?? "";
        return refusal is null;
    }

    private byte[] SignedPart(string user) =>
        PayloadWriter.Body(200).Bytes(Label).String(user.ToLowerInvariant()).Bytes(SHA256.HashData(PreviousCertificateSpki()))
            .Bytes(NextKeyHash).I64(Made.ToUnixTimeMilliseconds()).ToBody();

    private byte[] PreviousCertificateSpki() => LoadPrevious().PublicKey.ExportSubjectPublicKeyInfo();

    private static string UserOf(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, false);
}
