using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>
/// A member's published ECDH key, signed by its certificate key: what committers wrap epoch
/// secrets to. Published in the room's sequence (event kind Key). Anyone can check it against
/// the pinned CA, so the server cannot swap the key without being caught.
/// </summary>
/// <remarks>Version 2 adds <see cref="Handover"/> (empty when there is none), signed with the rest:
/// a device that moved to a new key says so in the package it publishes under it. Version 1
/// packages, kept in rooms' histories, still parse, verify and re-encode as they were.</remarks>
public sealed record KeyPackage(string UserName, byte[] Certificate, byte[] AgreementKey, DateTimeOffset Created, byte[] Signature)
{
    public const byte Version = 2;

    /// <summary>The first format, without a handover.</summary>
    public const byte LegacyVersion = 1;

    /// <summary>The format this package is encoded (and signed) in.</summary>
    public byte FormatVersion { get; init; } = Version;

    /// <summary>The encoded <see cref="KeyHandover"/> from the device's previous key, or empty.</summary>
    public byte[] Handover { get; init; } = [];

    private KeyHandover? _handover;

    /// <summary>The handover read from <see cref="Handover"/> (null when empty); a malformed one
    /// is a <see cref="CryptoException"/>. Only a package that passed <see cref="Check"/> has a
    /// handover that was verified.</summary>
    public KeyHandover? ParsedHandover => Handover.Length == 0 ? null : _handover ??= KeyHandover.Parse(Handover);

    private X509Certificate2? _certificate;

    public X509Certificate2 LoadCertificate() => _certificate ??= Pki.PeerCertificate.Load(Certificate);

    // Read on every message for every member (validity before each send), so computed once.
    public string Serial => _serial ??= LoadCertificate().SerialNumber;

    private string? _serial;

    public DateTimeOffset NotBefore => Validity().NotBefore;

    public DateTimeOffset NotAfter => Validity().NotAfter;

    private (DateTimeOffset NotBefore, DateTimeOffset NotAfter)? _validity;

    private (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Validity() =>
        _validity ??= (new DateTimeOffset(LoadCertificate().NotBefore.ToUniversalTime()), new DateTimeOffset(LoadCertificate().NotAfter.ToUniversalTime()));

    /// <summary>First 16 bytes of SHA-256 over the encoded package: how a commit names it.</summary>
    public byte[] Reference => _reference ??= SHA256.HashData(ToBytes())[..16];

    private byte[]? _reference;

    private ECDiffieHellman? _agreementPublic;

    /// <summary>The agreement key imported (and validated) once, for wrapping secrets to it.</summary>
    internal ECDiffieHellman AgreementPublic => _agreementPublic ??= KeyAgreement.ImportPublic(AgreementKey);

    public static KeyPackage Create(X509Certificate2 identity, ECDsa signingKey, ECDiffieHellman agreementKey, DateTimeOffset now, KeyHandover? handover = null)
    {
        var unsigned = new KeyPackage(identity.GetNameInfo(X509NameType.SimpleName, false), identity.RawData,
            Signatures.PublicPoint(agreementKey), DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()), [])
        {
            Handover = handover?.ToBytes() ?? [],
        };
        return unsigned with { Signature = Signatures.Sign(signingKey, unsigned.SignedPart()) };
    }

    public byte[] ToBytes() => Write(withSignature: true);

    public static KeyPackage Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var r = new PayloadReader(bytes);
            var version = r.U8();
            if (version is not (LegacyVersion or Version))
            {
                throw new CryptoException("Unknown key package version.");
            }

            var user = r.String();
            var certificate = r.Bytes();
            var agreement = r.Bytes();
            var created = r.I64();
            if (created < 0 || created > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                throw new CryptoException("Key package with an impossible creation time.");
            }

            var handover = version == Version ? r.Bytes() : [];
            var package = new KeyPackage(user, certificate, agreement, DateTimeOffset.FromUnixTimeMilliseconds(created), r.Bytes())
            {
                FormatVersion = version,
                Handover = handover,
            };
            r.End();
            return package;
        }
        catch (ProtocolException e)
        {
            throw new CryptoException($"Malformed key package: {e.Message}");
        }
    }

    /// <summary>Checks the signature, the certificate (valid and not revoked at <paramref name="at"/>,
    /// the time the package is judged at: when the server sequenced it, or now for a fresh use)
    /// and that the name is the certificate's.</summary>
    public bool Verify(MemberVerifier verifier, DateTimeOffset at, out string reason)
    {
        var refusal = Check(verifier, at);
        reason = refusal?.Reason ?? "";
        return refusal is null;
    }

    /// <summary>As <see cref="Verify"/>, with the typed reason: null when the package is good.</summary>
    internal Refusal? Check(MemberVerifier verifier, DateTimeOffset at)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = LoadCertificate();
        }
        catch (CryptographicException)
        {
            return new Refusal(RejectReason.CertificateUnreadable, "the certificate cannot be read");
        }

        if (verifier.Check(certificate, at) is { } refused)
        {
            return refused;
        }

        if (!string.Equals(certificate.GetNameInfo(X509NameType.SimpleName, false), UserName, StringComparison.Ordinal))
        {
            return new Refusal(RejectReason.PackageNameMismatch, "the package's user name is not its certificate's");
        }

        // The CA (the server) could mint any name: look-alikes and control characters that would
        // reach a terminal are refused as they would be at enrollment.
        if (!Pki.UserNamePolicy.IsValid(UserName))
        {
            return new Refusal(RejectReason.UserNameNotAllowed, "the user name is not one the CA's policy allows");
        }

        using var key = certificate.GetECDsaPublicKey();
        if (key is null || !Signatures.Verify(key, SignedPart(), Signature))
        {
            return new Refusal(RejectReason.BadPackageSignature, "the package's signature does not verify");
        }

        try
        {
            _ = AgreementPublic; // validates the point once and keeps it for wrapping
        }
        catch (CryptoException)
        {
            return new Refusal(RejectReason.BadAgreementKey, "the agreement key is not a P-256 point");
        }

        return CheckHandover(verifier, certificate);
    }

    // A handover that does not hold is refused with its own reason, never taken as no handover:
    // a package that claims to continue a device must prove it or not be accepted at all.
    private Refusal? CheckHandover(MemberVerifier verifier, X509Certificate2 certificate)
    {
        if (Handover.Length == 0)
        {
            return null;
        }

        KeyHandover handover;
        try
        {
            handover = ParsedHandover!;
        }
        catch (CryptoException)
        {
            return new Refusal(RejectReason.HandoverMalformed, "the package's key handover does not parse");
        }

        return handover.Check(verifier, certificate) is { } refused ? refused with { Reason = $"the package's key handover is refused: {refused.Reason}" } : null;
    }

    internal byte[] SignedPart() => Write(withSignature: false);

    private byte[] Write(bool withSignature)
    {
        var w = PayloadWriter.Body(Certificate.Length + Handover.Length + 200).U8(FormatVersion).String(UserName).Bytes(Certificate).Bytes(AgreementKey)
            .I64(Created.ToUnixTimeMilliseconds());
        if (FormatVersion == Version)
        {
            w.Bytes(Handover);
        }

        if (withSignature)
        {
            w.Bytes(Signature);
        }

        return w.ToBody();
    }
}
