using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>AES-CBC with PKCS#7 padding, the cipher inside Fernet. Kept on its own so it can be
/// checked against Wycheproof's AES-CBC-PKCS5 vectors through the very code Fernet uses.</summary>
public static class AesCbc
{
    [ThreadStatic]
    private static Aes? _aes;

    private static Aes Instance => _aes ??= Aes.Create();

    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext)
    {
        var ciphertext = new byte[CiphertextLength(plaintext.Length)];
        Encrypt(key, iv, plaintext, ciphertext);
        return ciphertext;
    }

    /// <summary>Encrypts into <paramref name="destination"/>, which is exactly
    /// <see cref="CiphertextLength"/> long.</summary>
    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var aes = Instance;
        aes.Key = key.ToArray();
        if (aes.EncryptCbc(plaintext, iv, destination, PaddingMode.PKCS7) != destination.Length)
        {
            throw new ArgumentException("The destination is not the ciphertext's length.", nameof(destination));
        }
    }

    /// <summary>PKCS#7 always pads: a whole block more when the plaintext fills its last one.</summary>
    public static int CiphertextLength(int plaintextLength) => (plaintextLength / 16 + 1) * 16;

    /// <summary>Throws <see cref="CryptoException"/> on a bad length or bad padding.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length == 0 || ciphertext.Length % 16 != 0)
        {
            throw new CryptoException("The ciphertext is not a whole number of AES blocks.");
        }

        var aes = Instance;
        aes.Key = key.ToArray();
        try
        {
            return aes.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            throw new CryptoException("The ciphertext's padding is invalid.");
        }
    }
}
