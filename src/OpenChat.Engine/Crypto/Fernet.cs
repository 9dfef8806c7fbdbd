using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>
/// Fernet, exactly per its specification (version 0x80): base64url of
/// version ‖ timestamp ‖ IV ‖ AES-128-CBC ciphertext ‖ HMAC-SHA256, with a 32-byte key split into
/// signing key (first half) and encryption key (second half). Tokens interoperate with every
/// other Fernet implementation; the tests prove it against Python's.
/// </summary>
public static class Fernet
{
    public const byte Version = 0x80;
    public const int KeyLength = 32;

    /// <summary>With a time-to-live, tokens dated further ahead than this are refused (Python's bound).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(60);

    private const int HeaderLength = 1 + 8 + 16;
    private const int MacLength = 32;

    public static string GenerateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyLength)).Replace('+', '-').Replace('/', '_');

    public static string Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext) =>
        Encrypt(key, plaintext, DateTimeOffset.UtcNow, RandomNumberGenerator.GetBytes(16));

    public static string Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, DateTimeOffset now, ReadOnlySpan<byte> iv) =>
        ToBase64Url(EncryptToBytes(key, plaintext, now, iv));

    /// <summary>The token's binary form (what base64url encodes): the envelope carries it so.</summary>
    public static byte[] EncryptToBytes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, DateTimeOffset now, ReadOnlySpan<byte> iv)
    {
        CheckKey(key);
        if (iv.Length != 16)
        {
            throw new ArgumentException("A Fernet IV is 16 bytes.", nameof(iv));
        }

        var cipherLength = AesCbc.CiphertextLength(plaintext.Length);
        var token = new byte[HeaderLength + cipherLength + MacLength];
        token[0] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(token.AsSpan(1), (ulong)now.ToUnixTimeSeconds());
        iv.CopyTo(token.AsSpan(9));
        AesCbc.Encrypt(key[16..], iv, plaintext, token.AsSpan(HeaderLength, cipherLength));
        HMACSHA256.HashData(key[..16], token.AsSpan(0, token.Length - MacLength), token.AsSpan(token.Length - MacLength));
        return token;
    }

    /// <summary>Verifies and decrypts; <paramref name="ttl"/> bounds the token's age when given.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> key, string token, DateTimeOffset now, TimeSpan? ttl = null)
    {
        var data = FromBase64Url(token) ?? throw new CryptoException("The token is not base64url.");
        return DecryptBytes(key, data, now, ttl);
    }

    /// <summary><see cref="Decrypt"/> of a token's binary form.</summary>
    public static byte[] DecryptBytes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, DateTimeOffset now, TimeSpan? ttl = null)
    {
        CheckKey(key);
        if (data.Length < HeaderLength + 16 + MacLength || data[0] != Version)
        {
            throw new CryptoException("The token is too short or has an unknown version.");
        }

        // Like the reference implementation, the age checks apply when a time-to-live is given.
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(data[1..]);
        var nowSeconds = now.ToUnixTimeSeconds();
        if (ttl is { } age)
        {
            if ((long)timestamp + (long)age.TotalSeconds < nowSeconds)
            {
                throw new CryptoException("The token has expired.");
            }

            if ((long)timestamp > nowSeconds + (long)MaxClockSkew.TotalSeconds)
            {
                throw new CryptoException("The token is dated in the future.");
            }
        }

        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(key[..16], data[..^MacLength], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, data[^MacLength..]))
        {
            throw new CryptoException("The token's HMAC does not verify.");
        }

        return AesCbc.Decrypt(key[16..], data.Slice(9, 16), data[HeaderLength..^MacLength]);
    }

    /// <summary>The timestamp a token carries (after it verified, this is when it was made).</summary>
    public static DateTimeOffset TimestampOf(string token) =>
        TimestampOfBytes(FromBase64Url(token) ?? throw new CryptoException("The token is not base64url."));

    /// <summary><see cref="TimestampOf"/> of a token's binary form.</summary>
    public static DateTimeOffset TimestampOfBytes(ReadOnlySpan<byte> data)
    {
        if (data.Length < 9)
        {
            throw new CryptoException("The token is too short to carry a timestamp.");
        }

        var seconds = BinaryPrimitives.ReadUInt64BigEndian(data[1..]);
        return seconds > (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? throw new CryptoException("The token's timestamp is impossible.")
            : DateTimeOffset.FromUnixTimeSeconds((long)seconds);
    }

    public static byte[] KeyFromBase64(string key) =>
        FromBase64Url(key) is { Length: KeyLength } bytes ? bytes : throw new CryptoException("A Fernet key is 32 bytes of base64url.");

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("A Fernet key is 32 bytes.", nameof(key));
        }
    }

    internal static string ToBase64Url(byte[] data) => Convert.ToBase64String(data).Replace('+', '-').Replace('/', '_');

    // Accepts padded base64url (the spec's and Python's form); refuses '+', '/' and anything else.
    internal static byte[]? FromBase64Url(string text)
    {
        if (text.Length == 0 || text.Length % 4 != 0 || text.Any(c => c is '+' or '/'))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/'));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
