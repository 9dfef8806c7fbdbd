// Scratch stand-in for fuzz/Targets/DecoderTargets.cs (the catalog from branch i16-props);
// deleted once that catalog is merged.
using OpenChat.Engine.Protocol;

namespace OpenChat.Fuzz.Targets;

public sealed record DecoderTarget(string Name, Action<byte[]> Run, Func<Exception, bool> IsDeclared, Func<IEnumerable<byte[]>> Seeds);

public static class DecoderTargets
{
    public static IReadOnlyList<DecoderTarget> All { get; } =
    [
        new("frames", ReadFrames, e => e is ProtocolException, () => [[0, 0, 0, 2, (byte)MessageType.Ping, 0], [0, 0, 0, 1, (byte)MessageType.Bye]]),
        new("messages", DecodeMessage, e => e is ProtocolException, () => [[(byte)MessageType.Ping, 0, 0, 0, 0, 0, 0, 0, 1]]),
    ];

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
