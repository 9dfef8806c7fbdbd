namespace OpenChat.Engine.Storage;

/// <summary>One uploaded file as the server knows it: where it belongs, who uploaded it, its
/// declared size and chunking, and when it was begun and completed. Never a name or a key.</summary>
public sealed record StoredFile(Guid Id, string Room, string Owner, ulong Size, uint ChunkSize, uint ChunkCount,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    public bool IsComplete => CompletedAt is not null;
}

/// <summary>
/// Where the server keeps uploaded files: opaque encrypted chunks under a random id. SQLite in
/// the data directory by default (<see cref="SqliteFileStore"/>); a shared database plugs in
/// through <see cref="Server.ChatServerOptions.FileStoreFactory"/>. Every write is durable when
/// the call returns, so an acknowledged chunk survives a crash.
/// </summary>
public interface IFileStore : IDisposable
{
    void Create(StoredFile file);

    StoredFile? Find(Guid id);

    /// <summary>The declared sizes of every file of <paramref name="owner"/> (complete or not):
    /// what counts against the user's quota.</summary>
    ulong BytesOwnedBy(string owner);

    /// <summary>Stores (or replaces, on a resend) one chunk.</summary>
    void PutChunk(Guid id, uint index, byte[] data);

    /// <summary>The indexes of the chunks held for a file.</summary>
    IReadOnlyList<uint> ChunksOf(Guid id);

    byte[]? ReadChunk(Guid id, uint index);

    void MarkComplete(Guid id, DateTimeOffset at);

    /// <summary>Deletes uploads begun before <paramref name="cutoff"/> and never completed, with
    /// their chunks; returns how many.</summary>
    int DeleteIncompleteBefore(DateTimeOffset cutoff);
}
