namespace OpenChat.Engine.Files;

/// <summary>How files are cut into chunks, and the bounds both ends hold a file to.</summary>
public static class FileLimits
{
    /// <summary>The plaintext of one chunk (the last may be shorter): with its tag and the
    /// frame's fields it stays far below <see cref="Protocol.FrameLimits.MaxFrameSize"/>.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>The largest chunk size a server or receiver accepts from a sender.</summary>
    public const int MaxChunkSize = 128 * 1024;

    public const int MinChunkSize = 1024;

    /// <summary>The longest file name (UTF-8 bytes) an announcement may carry.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>How many chunks a file of <paramref name="size"/> bytes takes: an empty file is
    /// one empty chunk, so that every file has a final chunk.</summary>
    public static uint ChunkCount(ulong size, uint chunkSize) =>
        size == 0 ? 1 : checked((uint)((size + chunkSize - 1) / chunkSize));

    /// <summary>The plaintext length of chunk <paramref name="index"/>.</summary>
    public static int PlainLength(ulong size, uint chunkSize, uint index)
    {
        var count = ChunkCount(size, chunkSize);
        return index + 1 < count ? (int)chunkSize : (int)(size - ((ulong)(count - 1) * chunkSize));
    }

    /// <summary>Whether a declared size and chunking agree with each other and the bounds.</summary>
    public static bool Consistent(ulong size, uint chunkSize, uint chunkCount) =>
        chunkSize is >= MinChunkSize and <= MaxChunkSize
        && size <= (ulong)chunkSize * uint.MaxValue
        && chunkCount == ChunkCount(size, chunkSize);
}
