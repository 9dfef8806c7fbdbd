// A file's chunks as a downloader receives them from the server: a chunk index and the stored
// bytes, opened with the file key of the attachment (final when it is the attachment's last).
using System.Buffers.Binary;
using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Files;

namespace OpenChat.Fuzz.Targets;

internal static class FileTargets
{
    public static IEnumerable<DecoderTarget> All => [new("file-chunks", OpenChunk, e => e is CryptoException, ChunkSeeds)];

    private const uint ChunkCount = 3;
    private static readonly Guid FileId = new("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly byte[] Key = Kdf.Hkdf(SHA256.HashData("OpenChat fuzz fixture: file key"u8), "fuzz"u8, ""u8, FileChunkCipher.KeySize);

    // Input: the chunk's index (4 bytes, big-endian), then the chunk as stored.
    private static void OpenChunk(byte[] data)
    {
        if (data.Length < 4)
        {
            return;
        }

        var index = BinaryPrimitives.ReadUInt32BigEndian(data);
        using var cipher = new FileChunkCipher(Key, FileId);
        _ = cipher.Decrypt(index, index == ChunkCount - 1, data.AsSpan(4));
    }

    private static IEnumerable<byte[]> ChunkSeeds()
    {
        using var cipher = new FileChunkCipher(Key, FileId);
        for (var index = 0u; index < ChunkCount; index++)
        {
            var chunk = cipher.Encrypt(index, index == ChunkCount - 1, System.Text.Encoding.UTF8.GetBytes($"chunk {index} of the seed file"));
            var seed = new byte[4 + chunk.Length];
            BinaryPrimitives.WriteUInt32BigEndian(seed, index);
            chunk.CopyTo(seed, 4);
            yield return seed;
        }
    }
}
