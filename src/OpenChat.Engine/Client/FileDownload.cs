using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Files;

namespace OpenChat.Engine.Client;

/// <summary>
/// Fetches an attachment's chunks, decrypts and checks each one (its place, its file, whether it
/// is the last), and writes the plaintext to a partial file in the destination named after the
/// file id; only when the whole file's SHA-256 matches the announced one is it renamed to its
/// (sanitised) name. A partial file left by a dropped connection or a cancelled save is
/// continued from its last whole chunk, its bytes hashed again, so a resumed file is checked
/// as a whole like any other.
/// </summary>
internal sealed class FileDownload(ChatClient client, ILogger log)
{
    /// <summary>The partial file of an attachment in a directory (hidden, and never an
    /// announced name, so no sender can make a save overwrite it).</summary>
    public static string PartialPath(string directory, Guid fileId) => SafeFileName.PathUnder(directory, $".openchat-{fileId:N}.partial");

    /// <param name="overwrite">Replace a file of that name; otherwise the first free numbered
    /// name ("name (2).ext") is taken.</param>
    public async Task<string> RunAsync(FileAttachment file, string directory, bool overwrite, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        directory = Path.GetFullPath(directory);
        var partial = PartialPath(directory, file.FileId);
        using var cipher = new FileChunkCipher(file.Key, file.FileId);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        uint next;
        await using (var output = OpenPartial(partial))
        {
            next = Resume(output, file, hash);
            if (next > 0)
            {
                FileLog.DownloadResumed(log, file.FileId, next);
                progress?.Report(output.Length);
            }

            for (; next < file.ChunkCount; next++)
            {
                var index = next;
                var chunk = await TransferRetry.RunAsync(client, file.FileId, token => client.FetchFileChunkAsync(file.FileId, index, token), log, cancellationToken)
                    .ConfigureAwait(false);
                byte[] plaintext;
                try
                {
                    plaintext = cipher.Decrypt(index, index + 1 == file.ChunkCount, chunk);
                }
                catch (CryptoException e)
                {
                    throw Corrupt(e.Message);
                }

                if (plaintext.Length != FileLimits.PlainLength(file.Size, file.ChunkSize, index))
                {
                    throw Corrupt($"Chunk {index} has {plaintext.Length} bytes where the announcement says {FileLimits.PlainLength(file.Size, file.ChunkSize, index)}.");
                }

                await output.WriteAsync(plaintext, cancellationToken).ConfigureAwait(false);
                hash.AppendData(plaintext);
                progress?.Report(output.Position);
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            output.Flush(flushToDisk: true);
        }

        if (!CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), file.Sha256))
        {
            File.Delete(partial); // every chunk decrypted, yet the whole differs: the sender's announcement is wrong
            throw Corrupt("The file's SHA-256 differs from the one announced; it was not saved.");
        }

        return MoveIntoPlace(partial, directory, SafeFileName.Sanitise(file.Name), overwrite);
    }

    // The whole chunks a partial file holds are kept (and hashed again); a cut-off chunk is dropped.
    // The partial file's name is known to the sender and the server: in a folder others can write,
    // a link planted under that name would make the save truncate and fill the file it points to.
    // Only a plain file is continued; a new one is the user's alone until it is renamed into place.
    private static FileStream OpenPartial(string partial)
    {
        var existing = new FileInfo(partial);
        if (existing.Exists || existing.LinkTarget is not null)
        {
            if (existing.LinkTarget is not null || existing.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                throw new OpenChatException(ErrorIds.FileCorrupt, ErrorKind.PolicyViolation,
                    $"'{partial}' is a link, not the partial file of an earlier save: nothing was written. Remove it, or save into a folder only you can write.");
            }
        }

        return Storage.SecureFile.Open(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    private static uint Resume(FileStream output, FileAttachment file, IncrementalHash hash)
    {
        var whole = (uint)Math.Min(file.ChunkCount, (ulong)output.Length / file.ChunkSize);
        var keep = (long)whole * file.ChunkSize;
        if (whole == file.ChunkCount || (ulong)output.Length > file.Size)
        {
            whole = 0; // longer than the file, or all chunks: not ours to trust, start over
            keep = 0;
        }

        output.SetLength(keep);
        output.Position = 0;
        var buffer = new byte[file.ChunkSize];
        for (var left = keep; left > 0;)
        {
            var read = output.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, read);
            left -= read;
        }

        output.Position = keep;
        return whole;
    }

    private string MoveIntoPlace(string partial, string directory, string name, bool overwrite)
    {
        if (overwrite)
        {
            var target = SafeFileName.PathUnder(directory, name);
            File.Move(partial, target, overwrite: true);
            return target;
        }

        for (var attempt = 0; ; attempt++)
        {
            var target = SafeFileName.Unused(directory, name);
            try
            {
                File.Move(partial, target, overwrite: false);
                return target;
            }
            catch (IOException e) when (attempt < 5 && File.Exists(target))
            {
                // Someone took the name between the check and the move: the next free one.
                log.Failed(e, "file.move-into-place");
            }
        }
    }

    private static OpenChatException Corrupt(string why) =>
        new(ErrorIds.FileCorrupt, ErrorKind.InvalidData, $"The attachment failed its check: {why}");
}
