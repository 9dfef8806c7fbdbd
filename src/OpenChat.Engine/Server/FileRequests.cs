using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Files;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// The server's side of file transfer: uploads by members of a room, checked against the
/// per-file limit and the uploader's quota before anything is stored; chunks of exactly the
/// declared lengths, stored durably before they are acknowledged; fetches by members of the
/// file's room only. The chunks are opaque: the server learns sizes and timing, never names,
/// contents or keys. Refusals are thrown for the router to answer.
/// </summary>
internal sealed class FileRequests(IFileStore store, RoomDirectory rooms, ChatServerOptions options, TimeProvider time, ILogger log)
{
    private static readonly TimeSpan CleanEvery = TimeSpan.FromMinutes(1);

    // Begin checks the quota and reserves it in one step: two uploads at once cannot both fit.
    private readonly Lock _quota = new();
    private readonly ConcurrentDictionary<string, TokenBucket> _bytes = new(StringComparer.Ordinal);
    private long _lastClean = long.MinValue; // UTC ticks of the server's clock

    public async ValueTask HandleAsync(IClientChannel channel, IMessage message)
    {
        switch (message)
        {
            case FileBegin begin:
                Begin(channel, begin);
                break;
            case FileChunk chunk:
                await StoreChunkAsync(channel, chunk).ConfigureAwait(false);
                break;
            case FileRequest { Type: MessageType.FileStatus } status:
                var file = OwnUpload(channel, status.FileId);
                channel.Send(new FileState(status.Tag, file.Id, file.IsComplete, file.ChunkCount, FileState.Bitmap(file.ChunkCount, store.ChunksOf(file.Id))));
                break;
            case FileRequest { Type: MessageType.FileComplete } complete:
                Complete(channel, complete);
                break;
            case FileFetch fetch:
                await FetchAsync(channel, fetch).ConfigureAwait(false);
                break;
            default:
                throw MessageCodec.Unexpected(message, "a client");
        }
    }

    /// <summary>Deletes uploads left incomplete past their lifetime (at most once a minute).</summary>
    public int CleanIncomplete()
    {
        var now = time.GetUtcNow();
        var last = Interlocked.Read(ref _lastClean);
        if (last != long.MinValue && now.UtcTicks - last < CleanEvery.Ticks)
        {
            return 0;
        }

        Interlocked.Exchange(ref _lastClean, now.UtcTicks);
        var deleted = store.DeleteIncompleteBefore(now - options.IncompleteFileLifetime);
        if (deleted > 0)
        {
            FileServerLog.IncompleteDeleted(log, deleted);
        }

        return deleted;
    }

    private void Begin(IClientChannel channel, FileBegin request)
    {
        var room = rooms.MemberRoom(channel, request.Room);
        if (!FileLimits.Consistent(request.Size, request.ChunkSize, request.ChunkCount))
        {
            throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidArgument,
                $"An upload of {request.Size} bytes in chunks of {request.ChunkSize} bytes cannot have {request.ChunkCount} chunks."); // no arithmetic on what the peer declared: it may overflow
        }

        if (request.Size > (ulong)options.MaxFileBytes)
        {
            throw new OpenChatException(ErrorIds.FileTooLarge, ErrorKind.LimitExceeded,
                $"The file is {request.Size:N0} bytes, over this server's limit of {options.MaxFileBytes:N0} bytes per file; nothing was stored.");
        }

        CleanIncomplete();
        var owner = UserNamePolicy.Normalize(channel.UserName);
        var file = new StoredFile(Guid.NewGuid(), room.Name, owner, request.Size, request.ChunkSize, request.ChunkCount, time.GetUtcNow(), null);
        lock (_quota)
        {
            var used = store.BytesOwnedBy(owner);
            if (used + request.Size > (ulong)options.MaxStoredFileBytesPerUser)
            {
                throw new OpenChatException(ErrorIds.FileQuotaExceeded, ErrorKind.LimitExceeded,
                    $"Your files on this server take {used:N0} bytes; with this one ({request.Size:N0}) they would pass your quota of {options.MaxStoredFileBytesPerUser:N0} bytes. Nothing was stored.");
            }

            store.Create(file);
        }

        FileServerLog.UploadBegun(log, file.Id, channel.UserName, room.Name, request.Size);
        channel.Send(new FileBegun(request.Tag, file.Id));
    }

    private async ValueTask StoreChunkAsync(IClientChannel channel, FileChunk chunk)
    {
        var file = OwnUpload(channel, chunk.FileId);
        if (file.IsComplete)
        {
            throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidOperation, "The upload is complete; its chunks cannot change.");
        }

        if (chunk.Index >= file.ChunkCount
            || chunk.Data.Length != FileLimits.PlainLength(file.Size, file.ChunkSize, chunk.Index) + FileChunkCipher.TagSize)
        {
            throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidArgument,
                $"Chunk {chunk.Index} does not fit the upload (its index or length differs from what was declared).");
        }

        await PaceAsync(channel, chunk.Data.Length).ConfigureAwait(false);
        store.PutChunk(file.Id, chunk.Index, chunk.Data);
        channel.Send(new FileChunkStored(chunk.Tag, file.Id, chunk.Index));
    }

    private void Complete(IClientChannel channel, FileRequest request)
    {
        var file = OwnUpload(channel, request.FileId);
        var held = store.ChunksOf(file.Id).Count;
        if (held != file.ChunkCount)
        {
            throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidOperation,
                $"The upload holds {held} of its {file.ChunkCount} chunks; send the rest before completing it.");
        }

        store.MarkComplete(file.Id, time.GetUtcNow());
        channel.Send(new FileCompleted(request.Tag, file.Id));
    }

    private async ValueTask FetchAsync(IClientChannel channel, FileFetch fetch)
    {
        // A file of a room the user is not in is answered as if it did not exist: its id says
        // nothing to outsiders, not even that it is there.
        var file = store.Find(fetch.FileId);
        if (file is not { IsComplete: true } || rooms.Find(file.Room) is not { } room || !room.IsMember(UserNamePolicy.Normalize(channel.UserName))
            || fetch.Index >= file.ChunkCount)
        {
            throw NotFound();
        }

        var data = store.ReadChunk(file.Id, fetch.Index) ?? throw NotFound();
        await PaceAsync(channel, data.Length).ConfigureAwait(false);
        channel.Send(new FileChunkData(fetch.Tag, file.Id, fetch.Index, data));
    }

    // Only the uploader asks about, adds to or completes an upload.
    private StoredFile OwnUpload(IClientChannel channel, Guid id) =>
        store.Find(id) is { } file && string.Equals(file.Owner, UserNamePolicy.Normalize(channel.UserName), StringComparison.Ordinal)
            ? file
            : throw NotFound();

    // Over the user's byte rate, the connection's reading waits (its own frames only), as TCP
    // would: a large transfer slows down instead of failing.
    private async ValueTask PaceAsync(IClientChannel channel, int bytes)
    {
        // The burst holds at least one whole chunk, or a chunk could never pass.
        var bucket = _bytes.GetOrAdd(UserNamePolicy.Normalize(channel.UserName), _ => new TokenBucket(options.FileBytesPerSecond,
            Math.Max(options.FileBytesBurst, FileLimits.MaxChunkSize + FileChunkCipher.TagSize), time));
        while (true)
        {
            lock (bucket)
            {
                if (bucket.TryTake(bytes))
                {
                    return;
                }
            }

            var wait = TimeSpan.FromSeconds(Math.Clamp(bytes / Math.Max(1, options.FileBytesPerSecond), 0.005, 1));
            await Task.Delay(wait, time, channel.Closing).ConfigureAwait(false);
        }
    }

    private static OpenChatException NotFound() =>
        new(ErrorIds.FileNotFound, ErrorKind.NotFound, "There is no such file here that you may use (it may have expired before it was completed).");
}
