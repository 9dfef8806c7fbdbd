// The wire: the frame reader and the decoder of every message type (what the server reads from
// a client and a client from the server).
using OpenChat.Engine.Protocol;

namespace OpenChat.Fuzz.Targets;

internal static class ProtocolTargets
{
    public static IEnumerable<DecoderTarget> All =>
    [
        new("frames", ReadFrames, e => e is ProtocolException, FrameSeeds),
        new("messages", DecodeMessage, e => e is ProtocolException, MessageSeeds),
    ];

    // Seeds are written by the engine's own encoders, so they are valid by construction.
    private static readonly IMessage[] SeedMessages =
    [
        new Ping(1),
        new Bye("ServerShutdown", "The server is shutting down."),
        new Hello(1, 5, "seed"),
        new FileBegin(7, "general", 70_000, 65_536, 2),
        new FileChunk(8, new Guid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]),
        new EventSource(0, "general", "alice", "5f1c0a"),
        new CompactEvent(0, 300, new Guid("1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), EventKind.Chat, 2, DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_000), [1, 2, 3, 4]),
    ];

    // A chunk of events as the server sends it: its sources, then events naming them.
    private static readonly IMessage[] SeedChunk =
    [
        new EventSource(0, "general", "alice", "5f1c0a"),
        new EventSource(1, "general", "bob", "6a2d1b"),
        new CompactEvent(0, 7, new Guid("2f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), EventKind.Chat, 1, DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_000), [5]),
        new CompactEvent(1, 8, new Guid("3f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), EventKind.Commit, 1, DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_001), [6, 7]),
        new CompactEvent(0, 9, new Guid("4f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), EventKind.Key, 2, DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_002), []),
    ];

    private static IEnumerable<byte[]> FrameSeeds() =>
        [.. SeedMessages.Select(m => m.ToFrame()), [.. SeedMessages.SelectMany(m => m.ToFrame())], [.. SeedChunk.SelectMany(m => m.ToFrame())]];

    // A message input is a frame without its length prefix: the type byte, then the payload.
    private static IEnumerable<byte[]> MessageSeeds() => SeedMessages.Select(m => m.ToFrame()[(FrameLimits.HeaderSize - 1)..]);

    // As a client's read loop does: events are resolved against the sources read before them.
    private static void ReadFrames(byte[] data)
    {
        var reader = new FrameReader(new MemoryStream(data, writable: false));
        var sources = new EventSources();
        while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } frame)
        {
            sources.Take(MessageCodec.Decode(frame));
        }
    }

    private static void DecodeMessage(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        MessageCodec.Decode((MessageType)data[0], data.AsSpan(1));
    }
}
