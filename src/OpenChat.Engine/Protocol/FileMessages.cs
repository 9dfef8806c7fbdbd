namespace OpenChat.Engine.Protocol;

// The frames of file transfer (docs/protocol.md, "Files"). The server sees only a file id, the
// room it belongs to, sizes and opaque chunks: every chunk is AES-GCM ciphertext under a key
// that travels only inside an end-to-end encrypted message.

/// <summary>Starts an upload to <see cref="Room"/>: the plaintext size and the chunking, so the
/// server can check the limits (and the exact length of every chunk) before it stores a byte.</summary>
public sealed record FileBegin(uint Tag, string Room, ulong Size, uint ChunkSize, uint ChunkCount) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileBegin).U32(Tag).String(Room).U64(Size).U32(ChunkSize).U32(ChunkCount).ToFrame();

    public static FileBegin Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileBegin(r.U32(), r.String(), r.U64(), r.U32(), r.U32());
        r.End();
        return m;
    }
}

/// <summary>The server accepted the upload under a fresh random id.</summary>
public sealed record FileBegun(uint Tag, Guid FileId) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileBegun).U32(Tag).Id(FileId).ToFrame();

    public static FileBegun Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileBegun(r.U32(), r.Id());
        r.End();
        return m;
    }
}

/// <summary>One encrypted chunk of an upload (ciphertext and GCM tag).</summary>
public sealed record FileChunk(uint Tag, Guid FileId, uint Index, byte[] Data) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileChunk, 64 + Data.Length).U32(Tag).Id(FileId).U32(Index).Bytes(Data).ToFrame();

    public static FileChunk Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileChunk(r.U32(), r.Id(), r.U32(), r.Bytes());
        r.End();
        return m;
    }
}

/// <summary>The chunk is stored durably.</summary>
public sealed record FileChunkStored(uint Tag, Guid FileId, uint Index) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileChunkStored).U32(Tag).Id(FileId).U32(Index).ToFrame();

    public static FileChunkStored Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileChunkStored(r.U32(), r.Id(), r.U32());
        r.End();
        return m;
    }
}

/// <summary>Asks which chunks of an upload the server holds (<see cref="MessageType.FileStatus"/>,
/// the uploader only), or marks the upload complete (<see cref="MessageType.FileComplete"/>).</summary>
public sealed record FileRequest(MessageType Type, uint Tag, Guid FileId) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(Type).U32(Tag).Id(FileId).ToFrame();

    public static FileRequest Read(MessageType type, ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileRequest(type, r.U32(), r.Id());
        r.End();
        return m;
    }
}

/// <summary>What the server holds of an upload: one bit per chunk (bit i of byte i/8, lowest
/// bit first), and whether it was completed.</summary>
public sealed record FileState(uint Tag, Guid FileId, bool Complete, uint ChunkCount, byte[] Present) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileState, 64 + Present.Length).U32(Tag).Id(FileId).Bool(Complete).U32(ChunkCount).Bytes(Present).ToFrame();

    public bool Has(uint index) => index < ChunkCount && index / 8 < Present.Length && (Present[index / 8] & (1 << (int)(index % 8))) != 0;

    public static byte[] Bitmap(uint chunkCount, IEnumerable<uint> present)
    {
        var bits = new byte[(chunkCount + 7) / 8];
        foreach (var index in present.Where(i => i < chunkCount))
        {
            bits[index / 8] |= (byte)(1 << (int)(index % 8));
        }

        return bits;
    }

    public static FileState Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileState(r.U32(), r.Id(), r.Bool(), r.U32(), r.Bytes());
        r.End();
        return m;
    }
}

public sealed record FileCompleted(uint Tag, Guid FileId) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileCompleted).U32(Tag).Id(FileId).ToFrame();

    public static FileCompleted Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileCompleted(r.U32(), r.Id());
        r.End();
        return m;
    }
}

/// <summary>Asks for one chunk of a completed file; only members of its room get it.</summary>
public sealed record FileFetch(uint Tag, Guid FileId, uint Index) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileFetch).U32(Tag).Id(FileId).U32(Index).ToFrame();

    public static FileFetch Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileFetch(r.U32(), r.Id(), r.U32());
        r.End();
        return m;
    }
}

public sealed record FileChunkData(uint Tag, Guid FileId, uint Index, byte[] Data) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.FileChunkData, 64 + Data.Length).U32(Tag).Id(FileId).U32(Index).Bytes(Data).ToFrame();

    public static FileChunkData Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new FileChunkData(r.U32(), r.Id(), r.U32(), r.Bytes());
        r.End();
        return m;
    }
}
