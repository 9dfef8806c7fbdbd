using System.Buffers.Binary;
using System.Text;

namespace OpenChat.Engine.Protocol;

/// <summary>Builds one frame: header (big-endian length, type) then fields. Integers are
/// big-endian; strings are u16 length + UTF-8; byte strings are u32 length + bytes.</summary>
public sealed class PayloadWriter
{
    private byte[] _buffer;
    private int _length;

    private readonly int _start;

    public PayloadWriter(MessageType type, int capacity = 256)
    {
        _buffer = new byte[Math.Max(capacity, FrameLimits.HeaderSize + 16)];
        _length = FrameLimits.HeaderSize;
        _start = 0;
        _buffer[4] = (byte)type;
    }

    private PayloadWriter(int capacity)
    {
        _buffer = new byte[Math.Max(capacity, 16)];
        _length = 0;
        _start = -1;
    }

    /// <summary>A writer for a message body (no frame header), with the same field encodings.</summary>
    public static PayloadWriter Body(int capacity = 256) => new(capacity);

    public int Length => _length;

    /// <summary>What a body writer holds so far, without copying it (valid until the next write).</summary>
    public ReadOnlySpan<byte> Written => _start == -1
        ? _buffer.AsSpan(0, _length)
        : throw new InvalidOperationException("This writer builds a frame; use ToFrame.");

    /// <summary>The bytes written so far, for a body writer.</summary>
    public byte[] ToBody()
    {
        if (_start != -1)
        {
            throw new InvalidOperationException("This writer builds a frame; use ToFrame.");
        }

        return _buffer.AsSpan(0, _length).ToArray();
    }

    public PayloadWriter U8(byte value)
    {
        Ensure(1)[0] = value;
        _length += 1;
        return this;
    }

    public PayloadWriter Bool(bool value) => U8(value ? (byte)1 : (byte)0);

    public PayloadWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(Ensure(2), value);
        _length += 2;
        return this;
    }

    public PayloadWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Ensure(4), value);
        _length += 4;
        return this;
    }

    public PayloadWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Ensure(8), value);
        _length += 8;
        return this;
    }

    public PayloadWriter I64(long value) => U64(unchecked((ulong)value));

    public PayloadWriter Id(Guid value)
    {
        value.TryWriteBytes(Ensure(16), bigEndian: true, out _);
        _length += 16;
        return this;
    }

    public PayloadWriter String(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > FrameLimits.MaxStringBytes)
        {
            throw new ProtocolException($"A string field of {count} bytes exceeds {FrameLimits.MaxStringBytes}.");
        }

        U16((ushort)count);
        Encoding.UTF8.GetBytes(value, Ensure(count));
        _length += count;
        return this;
    }

    /// <summary>An unsigned integer in 7-bit groups, low group first, the high bit set on all
    /// but the last byte (LEB128): 1 byte below 128, at most 10.</summary>
    public PayloadWriter VarU64(ulong value)
    {
        var span = Ensure(10);
        var used = 0;
        while (value >= 0x80)
        {
            span[used++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[used++] = (byte)value;
        _length += used;
        return this;
    }

    /// <summary>How many bytes <see cref="VarU64"/> writes for <paramref name="value"/>.</summary>
    public static int VarLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>A signed integer as a <see cref="VarU64"/> of its zigzag form (0, −1, 1, −2, … as
    /// 0, 1, 2, 3, …), so a small value of either sign stays short.</summary>
    public PayloadWriter VarI64(long value) => VarU64(unchecked((ulong)((value << 1) ^ (value >> 63))));

    /// <summary>A byte string with a <see cref="VarU64"/> length, for frames sent per delivery.</summary>
    public PayloadWriter VarBytes(ReadOnlySpan<byte> value)
    {
        VarU64((ulong)value.Length);
        value.CopyTo(Ensure(value.Length));
        _length += value.Length;
        return this;
    }

    public PayloadWriter Bytes(ReadOnlySpan<byte> value)
    {
        U32((uint)value.Length);
        value.CopyTo(Ensure(value.Length));
        _length += value.Length;
        return this;
    }

    /// <summary>The finished frame, ready to write to the wire.</summary>
    public byte[] ToFrame()
    {
        if (_start == -1)
        {
            throw new InvalidOperationException("This writer builds a body; use ToBody.");
        }

        var size = _length - 4;
        if (size > FrameLimits.MaxFrameSize)
        {
            throw new ProtocolException($"A frame of {size} bytes exceeds the maximum of {FrameLimits.MaxFrameSize}.");
        }

        BinaryPrimitives.WriteUInt32BigEndian(_buffer, (uint)size);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    private Span<byte> Ensure(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        return _buffer.AsSpan(_length, count);
    }
}
