// The targets fuzzed so far: the frame reader and the message decoder. The other decoders of
// issue 16 (envelopes, commits, key packages, invites, CSRs, CRLs, file chunks, the state loader)
// are to join them in one catalog, fuzz/Targets/DecoderTargets.cs, shared with the property
// tests; until then this file is that catalog's shape with two entries.
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
