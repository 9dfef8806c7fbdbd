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
}
