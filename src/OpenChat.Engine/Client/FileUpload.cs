using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using OpenChat.Engine.Files;

namespace OpenChat.Engine.Client;

/// <summary>
/// Encrypts one file chunk by chunk under a fresh key and uploads the chunks to a room's file
/// store, hashing the plaintext on the way. A dropped connection does not restart it: once
/// connected again it asks the server which chunks it holds and sends the rest. The result is
/// the <see cref="FileAttachment"/> to announce; the key never leaves this device otherwise.
/// </summary>
internal sealed class FileUpload(ChatClient client, ILogger log)
{
    public async Task<FileAttachment> RunAsync(string room, string path, string name, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var size = checked((ulong)RandomAccess.GetLength(handle));
        var chunkSize = (uint)FileLimits.ChunkSize;
        var count = FileLimits.ChunkCount(size, chunkSize);
        // Refused here (too large, over quota, not a member) before a byte is read or stored.
        var fileId = await TransferRetry.RunAsync(client, Guid.Empty,
            token => client.BeginFileAsync(room, size, chunkSize, count, token), log, cancellationToken).ConfigureAwait(false);
        var key = FileChunkCipher.NewKey();
        try
        {
            using var cipher = new FileChunkCipher(key, fileId);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[chunkSize];
            // Each chunk's plaintext hash from its first read: a chunk sent again reuses its nonce, so
            // it must be the same bytes (a file rewritten meanwhile would otherwise show the server
            // the XOR of two plaintexts under one key and nonce).
            var chunkHashes = new byte[count][];
            var interruptions = 0;
            var next = 0u; // chunks before it are hashed and were acknowledged once
            while (true)
            {
                try
                {
                    for (; next < count; next++)
                    {
                        var length = FileLimits.PlainLength(size, chunkSize, next);
                        Read(handle, next, chunkSize, buffer.AsSpan(0, length));
                        hash.AppendData(buffer, 0, length);
                        chunkHashes[next] = SHA256.HashData(buffer.AsSpan(0, length));
                        await client.PutFileChunkAsync(fileId, next, cipher.Encrypt(next, next + 1 == count, buffer.AsSpan(0, length)), cancellationToken)
                            .ConfigureAwait(false);
                        interruptions = 0;
                        progress?.Report((long)Math.Min(size, (ulong)(next + 1) * chunkSize));
                    }

                    await client.CompleteFileAsync(fileId, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (OpenChatException e) when (TransferRetry.Resumable(client, e, ++interruptions, cancellationToken))
                {
                    await TransferRetry.PauseAsync(client, fileId, e, interruptions, log, cancellationToken).ConfigureAwait(false);
                    await ResendMissingAsync(fileId, handle, size, chunkSize, count, next, cipher, buffer, chunkHashes, cancellationToken).ConfigureAwait(false);
                    // The chunk that failed was hashed already: send it again without hashing it twice.
                    if (next < count)
                    {
                        var length = FileLimits.PlainLength(size, chunkSize, next);
                        ReadAgain(handle, next, chunkSize, buffer.AsSpan(0, length), chunkHashes[next]);
                        await TransferRetry.RunAsync(client, fileId, token =>
                            Put(fileId, next, cipher.Encrypt(next, next + 1 == count, buffer.AsSpan(0, length)), token), log, cancellationToken).ConfigureAwait(false);
                        progress?.Report((long)Math.Min(size, (ulong)(next + 1) * chunkSize));
                        next++;
                    }
                }
            }

            FileLog.Uploaded(log, fileId, count, room);
            return new FileAttachment(fileId, name, size, chunkSize, count, hash.GetHashAndReset(), key);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
    }

    // After a reconnect: the server says which chunks it holds; those acknowledged before (all
    // under `sent`) that it lacks now are read again and sent again.
    private async Task ResendMissingAsync(Guid fileId, SafeFileHandle handle, ulong size, uint chunkSize, uint count, uint sent, FileChunkCipher cipher,
        byte[] buffer, byte[][] chunkHashes, CancellationToken cancellationToken)
    {
        var state = await TransferRetry.RunAsync(client, fileId, token => client.FileStateAsync(fileId, token), log, cancellationToken).ConfigureAwait(false);
        for (var index = 0u; index < sent; index++)
        {
            if (state.Has(index))
            {
                continue;
            }

            var length = FileLimits.PlainLength(size, chunkSize, index);
            ReadAgain(handle, index, chunkSize, buffer.AsSpan(0, length), chunkHashes[index]);
            var data = cipher.Encrypt(index, index + 1 == count, buffer.AsSpan(0, length));
            await TransferRetry.RunAsync(client, fileId, token => Put(fileId, index, data, token), log, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> Put(Guid fileId, uint index, byte[] data, CancellationToken cancellationToken)
    {
        await client.PutFileChunkAsync(fileId, index, data, cancellationToken).ConfigureAwait(false);
        return true;
    }

    internal static void ReadAgain(SafeFileHandle handle, uint index, uint chunkSize, Span<byte> into, byte[] firstRead)
    {
        Read(handle, index, chunkSize, into);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(into), firstRead))
        {
            throw new IOException("The file changed while it was being sent; it was not sent. Send it again once nothing writes to it.");
        }
    }

    private static void Read(SafeFileHandle handle, uint index, uint chunkSize, Span<byte> into)
    {
        var offset = (long)index * chunkSize;
        var done = 0;
        while (done < into.Length)
        {
            var read = RandomAccess.Read(handle, into[done..], offset + done);
            if (read == 0)
            {
                throw new IOException("The file became shorter while it was being sent; it was not sent.");
            }

            done += read;
        }
    }
}
