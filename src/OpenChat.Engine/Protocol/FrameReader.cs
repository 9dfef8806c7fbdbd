using System.Buffers.Binary;

namespace OpenChat.Engine.Protocol;

/// <summary>One received frame. <see cref="Payload"/> is valid until the next read.</summary>
public readonly record struct Frame(MessageType Type, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Reads length-prefixed frames from a stream through one reusable buffer. The length is
/// checked against <see cref="FrameLimits.MaxFrameSize"/> before anything else is read, so an
/// oversized prefix costs the reader nothing.
/// </summary>
public sealed class FrameReader(Stream stream)
{
    private const int SmallBuffer = 256;

    // A buffer grown past this for one large frame is given back at the next read, so a
    // connection that once sent a big frame does not hold its memory while it idles.
    private const int KeptBuffer = 4096;

    private readonly byte[] _header = new byte[FrameLimits.HeaderSize];
    private byte[] _body = new byte[SmallBuffer];

    /// <summary>Bytes the reader holds for frame bodies between reads.</summary>
    internal int BufferCapacity => _body.Length;

    /// <summary>The next frame, or null when the peer closed the stream cleanly between frames.</summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken)
    {
        // The previous frame's payload is no longer valid, so its large buffer can go.
        if (_body.Length > KeptBuffer)
        {
            _body = new byte[SmallBuffer];
        }

        // A zero-byte read waits for data without SslStream renting its record buffer, so an
        // idle connection costs almost no memory.
        await stream.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        var got = await FillAsync(_header, 0, 4, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < 4)
        {
            throw new ProtocolException("The connection closed in the middle of a frame header.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (length == 0 || length > FrameLimits.MaxFrameSize)
        {
            throw new ProtocolException($"A frame length of {length} is outside 1..{FrameLimits.MaxFrameSize}.");
        }

        if (_body.Length < length)
        {
            _body = new byte[Math.Max(length, _body.Length * 2)];
        }

        if (await FillAsync(_body, 0, (int)length, cancellationToken).ConfigureAwait(false) < length)
        {
            throw new ProtocolException("The connection closed in the middle of a frame.");
        }

        var type = (MessageType)_body[0];
        if (!Enum.IsDefined(type))
        {
            throw new ProtocolException($"Frame type 0x{(byte)type:X2} is not part of the protocol.");
        }

        return new Frame(type, _body.AsMemory(1, (int)length - 1));
    }

    private async ValueTask<int> FillAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < count)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(offset + total, count - total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
