using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>Events a node committed, as they travel on the bus. No chunks: the batch was too large
/// for the bus, and the receivers read sequences <see cref="First"/> to <see cref="Last"/> from the store.</summary>
internal sealed record CommittedEnvelope(string Origin, ulong First, ulong Last, ulong Epoch, IReadOnlyList<byte[]> Chunks);

/// <summary>
/// What one node says to the others, encoded with the protocol's field encodings: a version byte,
/// the origin node's id (so a node skips what it published itself), then the message; on the wire
/// <see cref="BusAuthenticator"/> appends its tag. Decoding still checks everything and throws
/// <see cref="ProtocolException"/> on anything malformed: the tag says which deployment sent it,
/// not that the sending node is bug-free.
/// </summary>
internal static class BusEnvelope
{
    // 2: authenticated (a node of version 1 neither tags nor checks, so the two refuse each other).
    // 3: committed events travel in protocol 7's chunks (sources first, compact events).
    private const byte Version = 3;
    private const int MaxItems = 10_000;

    public static byte[] Committed(string origin, ulong first, ulong last, ulong epoch, IReadOnlyList<byte[]> chunks)
    {
        var writer = Start(origin, 64 + chunks.Sum(c => c.Length + 4)).U64(first).U64(last).U64(epoch).U32((uint)chunks.Count);
        foreach (var chunk in chunks)
        {
            writer.Bytes(chunk);
        }

        return writer.ToBody();
    }

    public static byte[] Transient(string origin, IReadOnlyList<byte[]> chunks)
    {
        var writer = Start(origin, 32 + chunks.Sum(c => c.Length + 4)).U32((uint)chunks.Count);
        foreach (var chunk in chunks)
        {
            writer.Bytes(chunk);
        }

        return writer.ToBody();
    }

    public static byte[] RoomChanged(string origin, string room) => Start(origin, 64).String(room).ToBody();

    public static byte[] Revoked(string origin, IReadOnlyList<string> serials)
    {
        var writer = Start(origin, 32 + serials.Sum(s => s.Length + 2)).U32((uint)serials.Count);
        foreach (var serial in serials)
        {
            writer.String(serial);
        }

        return writer.ToBody();
    }

    /// <summary>The origin node's id, read without the rest (to skip one's own messages).</summary>
    public static string Origin(ReadOnlySpan<byte> payload)
    {
        var reader = Open(payload);
        return reader.String();
    }

    public static CommittedEnvelope ReadCommitted(ReadOnlySpan<byte> payload)
    {
        var reader = Open(payload);
        var origin = reader.String();
        var first = reader.U64();
        var last = reader.U64();
        var epoch = reader.U64();
        if (first == 0 || last < first)
        {
            throw new ProtocolException($"A committed batch claims sequences {first} to {last}.");
        }

        var chunks = ReadChunks(ref reader);
        reader.End();
        return new CommittedEnvelope(origin, first, last, epoch, chunks);
    }

    public static IReadOnlyList<byte[]> ReadTransient(ReadOnlySpan<byte> payload)
    {
        var reader = Open(payload);
        reader.String();
        var chunks = ReadChunks(ref reader);
        reader.End();
        return chunks;
    }

    public static string ReadRoomChanged(ReadOnlySpan<byte> payload)
    {
        var reader = Open(payload);
        reader.String();
        var room = reader.String();
        reader.End();
        return room;
    }

    public static IReadOnlyList<string> ReadRevoked(ReadOnlySpan<byte> payload)
    {
        var reader = Open(payload);
        reader.String();
        var count = Count(ref reader);
        var serials = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            serials.Add(reader.String());
        }

        reader.End();
        return serials;
    }

    private static PayloadWriter Start(string origin, int capacity) => PayloadWriter.Body(capacity).U8(Version).String(origin);

    private static PayloadReader Open(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        if (reader.U8() != Version)
        {
            throw new ProtocolException("A bus message of an unknown version.");
        }

        return reader;
    }

    private static List<byte[]> ReadChunks(ref PayloadReader reader)
    {
        var count = Count(ref reader);
        var chunks = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            chunks.Add(reader.Bytes());
        }

        return chunks;
    }

    private static int Count(ref PayloadReader reader)
    {
        var count = reader.U32();
        return count <= MaxItems ? (int)count : throw new ProtocolException($"A bus message claims {count} items.");
    }
}
