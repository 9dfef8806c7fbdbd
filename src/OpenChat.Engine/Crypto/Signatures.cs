using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>ECDSA P-256 with SHA-256 and IEEE P1363 (r ‖ s, 64 bytes) signatures — the only
/// signature form on the wire. Public keys travel as uncompressed points (65 bytes) and are
/// imported on the named curve, never from SPKI with explicit parameters.</summary>
public static class Signatures
{
    public const int SignatureLength = 64;
    public const int PointLength = 65;

    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> data) =>
        key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static bool Verify(ReadOnlySpan<byte> publicPoint, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureLength)
        {
            return false;
        }

        using var key = ImportPublic(publicPoint);
        return key is not null && key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public static bool Verify(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureLength && key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>The uncompressed point of a P-256 key.</summary>
    public static byte[] PublicPoint(ECAlgorithm key)
    {
        var parameters = key.ExportParameters(false);
        return [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
    }

    /// <summary>Imports an uncompressed P-256 point; null if it is not a valid point on the curve.</summary>
    public static ECDsa? ImportPublic(ReadOnlySpan<byte> point)
    {
        if (point.Length != PointLength || point[0] != 0x04)
        {
            return null;
        }

        try
        {
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33].ToArray(), Y = point[33..].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
