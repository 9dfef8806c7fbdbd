using System.Buffers.Binary;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Protocol;

public sealed class FrameReaderTests
{
    private static byte[] FrameOf(MessageType type, int payloadLength)
    {
        // A frame is its length (4 bytes, big-endian, counting the type byte), its type, its payload.
        var frame = new byte[FrameLimits.HeaderSize + payloadLength];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(payloadLength + 1));
        frame[4] = (byte)type;
        frame[^1] = 0x5A;
        return frame;
    }

    [Fact]
    public async Task The_buffer_grown_for_one_large_frame_is_given_back_at_the_next_read()
    {
        using var stream = new MemoryStream([.. FrameOf(MessageType.Ping, 200_000), .. FrameOf(MessageType.Ping, 10)]);
        var reader = new FrameReader(stream);

        var large = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(200_000, large!.Value.Payload.Length);
        Assert.Equal(0x5A, large.Value.Payload.Span[^1]);
        Assert.True(reader.BufferCapacity >= 200_001);

        var small = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(10, small!.Value.Payload.Length);
        Assert.True(reader.BufferCapacity <= 4096, $"The reader still holds {reader.BufferCapacity} bytes after a small frame.");
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
        Assert.True(reader.BufferCapacity <= 4096);
    }

    [Fact]
    public async Task Small_frames_keep_the_small_buffer()
    {
        using var stream = new MemoryStream([.. FrameOf(MessageType.Ping, 100), .. FrameOf(MessageType.Ping, 3000)]);
        var reader = new FrameReader(stream);

        Assert.Equal(100, (await reader.ReadAsync(CancellationToken.None))!.Value.Payload.Length);
        Assert.Equal(3000, (await reader.ReadAsync(CancellationToken.None))!.Value.Payload.Length);
        Assert.True(reader.BufferCapacity <= 4096);
    }
}
