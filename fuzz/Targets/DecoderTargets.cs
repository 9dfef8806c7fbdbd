// The decoders fuzzed, each with what it may throw (anything else is a finding) and its seeds.
// Linked into the fuzz harness and the unit tests, so both judge an input the same way. So far
// the frame reader and the message decoder; the other decoders of issue 16 are to join them.
using OpenChat.Engine.Protocol;

namespace OpenChat.Fuzz.Targets;

public sealed record DecoderTarget(string Name, Action<byte[]> Run, Func<Exception, bool> IsDeclared, Func<IEnumerable<byte[]>> Seeds);

public static class DecoderTargets
{
    public static IReadOnlyList<DecoderTarget> All { get; } =
    [
        new("frames", ReadFrames, e => e is ProtocolException, FrameSeeds),
        new("messages", DecodeMessage, e => e is ProtocolException, MessageSeeds),
    ];

    // Seeds are written by the engine's own encoders, so they are valid by construction.
    private static readonly IMessage[] SeedMessages = [new Ping(1), new Bye("ServerShutdown", "The server is shutting down."), new Hello(1, 5, "seed")];

    private static IEnumerable<byte[]> FrameSeeds() =>
        [.. SeedMessages.Select(m => m.ToFrame()), [.. SeedMessages.SelectMany(m => m.ToFrame())]];

    // A message input is a frame without its length prefix: the type byte, then the payload.
    private static IEnumerable<byte[]> MessageSeeds() => SeedMessages.Select(m => m.ToFrame()[(FrameLimits.HeaderSize - 1)..]);

    private static void ReadFrames(byte[] data)
    {
        var reader = new FrameReader(new MemoryStream(data, writable: false));
        while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } frame)
        {
            MessageCodec.Decode(frame);
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
