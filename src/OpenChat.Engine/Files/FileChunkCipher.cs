using System.Buffers.Binary;
using System.Security.Cryptography;

using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Files;

/// <summary>
/// The chunked AEAD of one file: AES-256-GCM under the file's own random key, one chunk at a
/// time. The nonce is the chunk's index (a key encrypts one file only, so an index is never
/// reused under it); the associated data binds the file id, the index and whether the chunk is
/// the last one, so a chunk moved to another place, taken from another file, or a file cut
/// short after a chunk boundary, does not decrypt.
/// </summary>
public sealed class FileChunkCipher : IDisposable
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    private const int NonceSize = 12;
    private static readonly byte[] Label = "openchat-file-chunk-v1"u8.ToArray();

    private readonly AesGcm _aes;
    private readonly Guid _fileId;

    public FileChunkCipher(ReadOnlySpan<byte> key, Guid fileId)
    {
        if (key.Length != KeySize)
        {
            throw new CryptoException("A file key is 32 bytes.");
        }

        _aes = new AesGcm(key, TagSize);
        _fileId = fileId;
    }

    /// <summary>A fresh random key for one file.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>Ciphertext followed by the 16-byte tag.</summary>
    public byte[] Encrypt(uint index, bool final, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + TagSize];
        Span<byte> nonce = stackalloc byte[NonceSize];
        Nonce(index, nonce);
        _aes.Encrypt(nonce, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), Associated(index, final));
        return output;
    }

    /// <summary>The plaintext of a chunk, or <see cref="CryptoException"/> if it was changed,
    /// belongs elsewhere, or is not the chunk expected at this place.</summary>
    public byte[] Decrypt(uint index, bool final, ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length < TagSize)
        {
            throw new CryptoException($"Chunk {index} of the file is too short to be a chunk.");
        }

        var plaintext = new byte[chunk.Length - TagSize];
        Span<byte> nonce = stackalloc byte[NonceSize];
        Nonce(index, nonce);
        try
        {
            _aes.Decrypt(nonce, chunk[..plaintext.Length], chunk[plaintext.Length..], plaintext, Associated(index, final));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptoException($"Chunk {index} of the file does not decrypt: it was changed, or belongs to another file or place.");
        }

        return plaintext;
    }

    public void Dispose() => _aes.Dispose();

    private static void Nonce(uint index, Span<byte> nonce)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], index);
    }

    private byte[] Associated(uint index, bool final)
    {
        var data = new byte[Label.Length + 16 + 4 + 1];
        Label.CopyTo(data, 0);
        _fileId.TryWriteBytes(data.AsSpan(Label.Length, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(Label.Length + 16, 4), index);
        data[^1] = final ? (byte)1 : (byte)0;
        return data;
    }
}
