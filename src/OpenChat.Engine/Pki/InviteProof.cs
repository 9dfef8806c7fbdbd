using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Pki;

/// <summary>
/// How an enrolling client proves it holds an invite's secret without sending it. A P-256 key is
/// derived from the secret (HKDF-SHA256 with a label, bound to the invite id); the CA stores only
/// its public point, the verifier, so neither the secret nor anything that can make a proof is
/// ever on the server's disk. The client signs a transcript of one enrollment: a label, the invite
/// id and user, the hash of the server certificate it saw in this TLS handshake, the server's
/// fresh nonce for this connection (from Welcome), and SHA-256 of the exact CSR it sends. A proof
/// therefore proves nothing on another connection (other nonce), through a relay that presents
/// another certificate (other hash), or for another CSR.
/// </summary>
public static class InviteProof
{
    public const int NonceLength = 32;
    private static readonly byte[] KeySalt = "OpenChat v1 invite proof key"u8.ToArray();
    private static readonly byte[] TranscriptLabel = "OpenChat v1 enroll proof"u8.ToArray();

    // The order of P-256's base point.
    private static readonly BigInteger CurveOrder = BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    /// <summary>The public point the CA keeps for an invite (65 bytes, uncompressed).</summary>
    public static byte[] Verifier(ReadOnlySpan<byte> secret, string inviteId)
    {
        using var key = DeriveKey(secret, inviteId);
        return Signatures.PublicPoint(key);
    }

    /// <summary>The bytes a proof signs. <paramref name="serverCertificateHash"/> is SHA-256 of the
    /// server certificate's DER as presented in this connection's handshake.</summary>
    public static byte[] Transcript(string inviteId, string userName, ReadOnlySpan<byte> serverCertificateHash, ReadOnlySpan<byte> nonce, string csrPem) =>
        PayloadWriter.Body(256)
            .Bytes(TranscriptLabel)
            .String(inviteId)
            .String(userName)
            .Bytes(serverCertificateHash)
            .Bytes(nonce)
            .Bytes(SHA256.HashData(Encoding.UTF8.GetBytes(csrPem)))
            .ToBody();

    public static byte[] Sign(ReadOnlySpan<byte> secret, string inviteId, ReadOnlySpan<byte> transcript)
    {
        using var key = DeriveKey(secret, inviteId);
        return Signatures.Sign(key, transcript);
    }

    public static bool Verify(ReadOnlySpan<byte> verifier, ReadOnlySpan<byte> transcript, ReadOnlySpan<byte> proof) =>
        verifier.Length == Signatures.PointLength && Signatures.Verify(verifier, transcript, proof);

    // FIPS 186-5 A.2.1 style: 64 extra bits of HKDF output, reduced into [1, n-1], so the key is
    // uniform to within 2^-64 and never zero.
    private static ECDsa DeriveKey(ReadOnlySpan<byte> secret, string inviteId)
    {
        var okm = Kdf.Hkdf(secret, KeySalt, Encoding.UTF8.GetBytes(inviteId), 40);
        var d = new BigInteger(okm, isUnsigned: true, isBigEndian: true) % (CurveOrder - 1) + 1;
        var bytes = new byte[32];
        d.TryWriteBytes(bytes.AsSpan(32 - d.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        CryptographicOperations.ZeroMemory(okm);
        var key = ECDsa.Create();
        try
        {
            key.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = bytes });
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
