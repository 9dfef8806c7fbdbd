using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>HKDF-SHA256 and HMAC-SHA256, the two derivations the protocol uses.</summary>
public static class Kdf
{
    public static byte[] Hkdf(ReadOnlySpan<byte> inputKey, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, int length)
    {
        var output = new byte[length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKey, output, salt, info);
        return output;
    }

    public static byte[] Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(key, data);

    /// <summary>HMAC-SHA256 of two messages under one key, keying the MAC once (a ratchet step
    /// derives its message key and next chain key so).</summary>
    public static (byte[] First, byte[] Second) Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        mac.AppendData(first);
        var a = mac.GetHashAndReset();
        mac.AppendData(second);
        return (a, mac.GetHashAndReset());
    }
}
