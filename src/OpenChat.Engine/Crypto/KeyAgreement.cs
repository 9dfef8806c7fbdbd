using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>ECDH on P-256 with raw (uncompressed) peer points, validated on import.</summary>
public static class KeyAgreement
{
    public static ECDiffieHellman NewKey() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The raw shared secret (the x coordinate, 32 bytes). Throws
    /// <see cref="CryptoException"/> for a point that is not on the curve.</summary>
    public static byte[] SharedSecret(ECDiffieHellman own, ReadOnlySpan<byte> peerPoint)
    {
        if (peerPoint.Length != Signatures.PointLength || peerPoint[0] != 0x04)
        {
            throw new CryptoException("The peer's key is not an uncompressed P-256 point.");
        }

        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peerPoint[1..33].ToArray(), Y = peerPoint[33..].ToArray() },
            });
            return own.DeriveRawSecretAgreement(peer.PublicKey);
        }
        catch (CryptographicException)
        {
            throw new CryptoException("The peer's key is not a valid P-256 point.");
        }
    }

    /// <summary>Imports and validates a peer point once, for repeated agreements.</summary>
    public static ECDiffieHellman ImportPublic(ReadOnlySpan<byte> peerPoint)
    {
        if (peerPoint.Length != Signatures.PointLength || peerPoint[0] != 0x04)
        {
            throw new CryptoException("The peer's key is not an uncompressed P-256 point.");
        }

        try
        {
            return ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peerPoint[1..33].ToArray(), Y = peerPoint[33..].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            throw new CryptoException("The peer's key is not a valid P-256 point.");
        }
    }

    public static byte[] SharedSecret(ECDiffieHellman own, ECDiffieHellman peer) => own.DeriveRawSecretAgreement(peer.PublicKey);

    public static ECDiffieHellman ImportPrivate(ReadOnlySpan<byte> scalar)
    {
        var d = scalar.ToArray();
        return ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
    }
}
