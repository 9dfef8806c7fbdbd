using System.Security.Cryptography;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>
/// The derivations of the format-2 key schedule (docs/protocol.md, "Key schedule"), each bound to
/// room and epoch: a commit's fresh commit secret and the previous epoch's init secret give the
/// joiner secret, which with the signed commit's hash gives the epoch secret; the epoch secret
/// gives the sender chains and the next init secret, and is then erased. A join, which holds no
/// key of the epoch before, agrees with that epoch's external key instead of its init secret.
/// </summary>
/// <remarks>Wraps and the sealed external key use AES-256-GCM with a zero nonce: every key here
/// is derived afresh for one commit and one member (from a one-time ephemeral key or a one-time
/// joiner secret), so a nonce never repeats under a key.</remarks>
internal static class KeySchedule
{
    public const int SecretLength = Commit.SecretLength;

    /// <summary>A wrapped secret: ciphertext ‖ tag.</summary>
    public const int WrappedLength = SecretLength + 16;

    /// <summary>The sealed external private scalar: ciphertext ‖ tag.</summary>
    public const int SealedLength = SecretLength + 16;

    private static readonly byte[] ZeroNonce = new byte[12];

    public static byte[] Joiner(ReadOnlySpan<byte> init, ReadOnlySpan<byte> commitSecret, string room, ulong epoch)
    {
        var input = new byte[init.Length + commitSecret.Length];
        init.CopyTo(input);
        commitSecret.CopyTo(input.AsSpan(init.Length));
        var joiner = Kdf.Hkdf(input, GroupLabels.Joiner, GroupLabels.Context(room, epoch), SecretLength);
        CryptographicOperations.ZeroMemory(input);
        return joiner;
    }

    /// <summary>Bound to the signed commit: two different commits for one epoch give different keys.</summary>
    public static byte[] EpochSecret(byte[] joiner, string room, ulong epoch, byte[] commitHash) =>
        Kdf.Hkdf(joiner, GroupLabels.EpochSecret, GroupLabels.Context(room, epoch, commitHash), SecretLength);

    /// <summary>What the next commit (by a member) builds on.</summary>
    public static byte[] Init(byte[] epochSecret, string room, ulong epoch) =>
        Kdf.Hkdf(epochSecret, GroupLabels.Init, GroupLabels.Context(room, epoch), SecretLength);

    /// <summary>A founding commit has no epoch before it.</summary>
    public static byte[] CreateInit() => new byte[SecretLength];

    /// <summary>A join's init: agreement of the joiner's ephemeral key with the previous epoch's
    /// external key (members compute it with the external private key, the joiner with its ephemeral one).</summary>
    public static byte[] ExternalInit(byte[] shared, string room, ulong newEpoch, byte[] ephemeralKey, byte[] externalKey)
    {
        var init = Kdf.Hkdf(shared, GroupLabels.ExternalInit, GroupLabels.Context(room, newEpoch, ephemeralKey, externalKey), SecretLength);
        CryptographicOperations.ZeroMemory(shared);
        return init;
    }

    /// <summary>First 16 bytes of SHA-256 over a key: how a format-2 commit names a leaf or committer key.</summary>
    public static byte[] KeyReference(ReadOnlySpan<byte> key) => SHA256.HashData(key)[..16];

    /// <param name="targetPublic"><paramref name="targetKey"/> already imported, or null.</param>
    public static byte[] Wrap(byte[] secret, ECDiffieHellman ephemeral, byte[] ephemeralKey, byte[] targetKey, ECDiffieHellmanPublicKey? targetPublic, string room, ulong epoch,
        byte[] serial)
    {
        var shared = targetPublic is null ? KeyAgreement.SharedSecret(ephemeral, targetKey) : ephemeral.DeriveRawSecretAgreement(targetPublic);
        var key = WrapKey(shared, room, epoch, serial, targetKey, ephemeralKey);
        try
        {
            return Seal(key, secret, GroupLabels.Context(room, epoch, serial));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The secret wrapped to <paramref name="own"/> (whose public key is <paramref name="ownKey"/>); null when it does not open.</summary>
    public static byte[]? Unwrap(byte[] wrapped, ECDiffieHellman own, byte[] ownKey, byte[] ephemeralKey, string room, ulong epoch, byte[] serial)
    {
        if (wrapped.Length != WrappedLength)
        {
            return null;
        }

        var key = WrapKey(KeyAgreement.SharedSecret(own, ephemeralKey), room, epoch, serial, ownKey, ephemeralKey);
        try
        {
            return Open(key, wrapped, GroupLabels.Context(room, epoch, serial));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The new epoch's external private scalar, sealed under a key of its joiner secret.</summary>
    public static byte[] SealExternal(byte[] joiner, byte[] externalPrivate, string room, ulong epoch, byte[] externalKey)
    {
        var key = SealKey(joiner, room, epoch);
        try
        {
            return Seal(key, externalPrivate, GroupLabels.Context(room, epoch, externalKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Null when it does not open: the joiner secret is not this commit's.</summary>
    public static byte[]? UnsealExternal(byte[] joiner, byte[] sealedKey, string room, ulong epoch, byte[] externalKey)
    {
        if (sealedKey.Length != SealedLength)
        {
            return null;
        }

        var key = SealKey(joiner, room, epoch);
        try
        {
            return Open(key, sealedKey, GroupLabels.Context(room, epoch, externalKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A P-256 private key from its exported form (<see cref="ECDiffieHellman.ExportECPrivateKey"/>);
    /// <see cref="CryptoException"/> when it does not read as one.</summary>
    public static ECDiffieHellman ImportPrivate(byte[] exported) =>
        P256PrivateKey.TryImport(exported, PrivateKeyEncoding.EcPrivateKey, out var problem) ?? throw new CryptoException($"A saved private key {problem}.");

    /// <summary>The raw private scalar of <paramref name="key"/> (what the external key is sealed as).</summary>
    public static byte[] Scalar(ECDiffieHellman key) => key.ExportParameters(includePrivateParameters: true).D!;

    /// <summary>Whether <paramref name="scalar"/> is the private half of <paramref name="point"/>:
    /// its public point is computed from the scalar alone, so a scalar that is not a valid P-256
    /// key, or belongs to another point, is told apart without trusting the point.</summary>
    public static bool IsPrivateHalfOf(byte[] scalar, byte[] point)
    {
        if (scalar.Length != SecretLength || point.Length != Signatures.PointLength || point[0] != 0x04)
        {
            return false;
        }

        try
        {
            using var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = (byte[])scalar.Clone() });
            var q = key.ExportParameters(includePrivateParameters: false).Q;
            return CryptographicOperations.FixedTimeEquals(q.X, point.AsSpan(1, 32)) && CryptographicOperations.FixedTimeEquals(q.Y, point.AsSpan(33));
        }
        catch (CryptographicException)
        {
            // Zero, or not below the group order: no key at all.
            return false;
        }
    }

    /// <summary>A P-256 key from its private scalar and public point (as a commit carries the external key).</summary>
    public static ECDiffieHellman FromScalar(byte[] scalar, byte[] point)
    {
        if (point.Length != Signatures.PointLength || point[0] != 0x04)
        {
            throw new CryptoException("The key is not an uncompressed P-256 point.");
        }

        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = (byte[])scalar.Clone(),
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
        });
    }

    private static byte[] WrapKey(byte[] shared, string room, ulong epoch, byte[] serial, byte[] targetKey, byte[] ephemeralKey)
    {
        var key = Kdf.Hkdf(shared, GroupLabels.CommitWrapV2, GroupLabels.Context(room, epoch, serial, targetKey, ephemeralKey), 32);
        CryptographicOperations.ZeroMemory(shared);
        return key;
    }

    private static byte[] SealKey(byte[] joiner, string room, ulong epoch) =>
        Kdf.Hkdf(joiner, GroupLabels.ExternalSeal, GroupLabels.Context(room, epoch), 32);

    private static byte[] Seal(byte[] key, byte[] plain, byte[] aad)
    {
        var sealedBytes = new byte[plain.Length + 16];
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(ZeroNonce, plain, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), aad);
        return sealedBytes;
    }

    private static byte[]? Open(byte[] key, byte[] sealedBytes, byte[] aad)
    {
        var plain = new byte[sealedBytes.Length - 16];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(ZeroNonce, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), plain, aad);
            return plain;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
