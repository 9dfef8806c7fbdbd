using System.Buffers.Binary;
using System.Text;

namespace OpenChat.Engine.Protocol;

/// <summary>Reads the fields of one received frame. Every read is bounds-checked: a short or
/// malformed payload raises <see cref="ProtocolException"/>, never an out-of-range read.</summary>
public ref struct PayloadReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly ReadOnlySpan<byte> _payload;
    private int _offset;

    public PayloadReader(ReadOnlySpan<byte> payload)
    {
        _payload = payload;
        _offset = 0;
    }

    public readonly bool AtEnd => _offset == _payload.Length;

    /// <summary>How many bytes have been read: what a signature over "everything before" covers.</summary>
    public readonly int Position => _offset;

    public byte U8() => Take(1)[0];

    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        _ => throw Malformed("a boolean"),
    };

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public long I64() => unchecked((long)U64());

    /// <summary>A time sent as Unix milliseconds (<see cref="PayloadWriter.I64"/> of
    /// <see cref="DateTimeOffset.ToUnixTimeMilliseconds"/>).</summary>
    public DateTimeOffset Time() => TimeOf(I64());

    /// <summary>Unix milliseconds as a time; a value no <see cref="DateTimeOffset"/> can hold is the
    /// peer's error (it made the reader throw ArgumentOutOfRangeException, which nothing expects of a frame).</summary>
    public static DateTimeOffset TimeOf(long milliseconds) =>
        milliseconds is >= MinUnixMilliseconds and <= MaxUnixMilliseconds
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : throw new ProtocolException($"A time of {milliseconds} ms since 1970 is out of range.");

    private const long MinUnixMilliseconds = -62_135_596_800_000;
    private const long MaxUnixMilliseconds = 253_402_300_799_999;

    public Guid Id() => new(Take(16), bigEndian: true);

    public string String()
    {
        var length = U16();
        if (length > FrameLimits.MaxStringBytes)
        {
            throw Malformed("a string (too long)");
        }

        try
        {
            return StrictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("a string (invalid UTF-8)");
        }
    }

    public byte[] Bytes()
    {
        var length = U32();
        if (length > _payload.Length - _offset)
        {
            throw Malformed("a byte string");
        }

        return Take((int)length).ToArray();
    }

    /// <summary>A <see cref="PayloadWriter.VarU64"/> integer. Only the shortest encoding is
    /// accepted, so every value has one form and re-encoding a frame gives back its bytes.</summary>
    public ulong VarU64()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = U8();
            if (shift == 63 && b > 1)
            {
                throw Malformed("a variable-length integer (over 64 bits)");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (b == 0 && shift > 0)
                {
                    throw Malformed("a variable-length integer (not in its shortest form)");
                }

                return value;
            }
        }

        throw Malformed("a variable-length integer (over 64 bits)");
    }

    /// <summary>A <see cref="PayloadWriter.VarI64"/> integer.</summary>
    public long VarI64()
    {
        var zigzag = VarU64();
        return unchecked((long)(zigzag >> 1) ^ -(long)(zigzag & 1));
    }

    /// <summary>A <see cref="VarU64"/> of at most <paramref name="max"/>.</summary>
    public uint VarU32(uint max = uint.MaxValue)
    {
        var value = VarU64();
        return value <= max ? (uint)value : throw Malformed($"a variable-length integer (over {max})");
    }

    /// <summary>A <see cref="PayloadWriter.VarBytes"/> byte string.</summary>
    public byte[] VarBytes()
    {
        var length = VarU64();
        if (length > (ulong)(_payload.Length - _offset))
        {
            throw Malformed("a byte string");
        }

        return Take((int)length).ToArray();
    }

    /// <summary>Fails if the payload has bytes left over: a frame is exactly its fields.</summary>
    public readonly void End()
    {
        if (!AtEnd)
        {
            throw new ProtocolException($"The frame has {_payload.Length - _offset} unexpected trailing bytes.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _payload.Length - _offset)
        {
            throw Malformed("a field (frame truncated)");
        }

        var slice = _payload.Slice(_offset, count);
        _offset += count;
        return slice;
    }

    private static ProtocolException Malformed(string what) => new($"The frame ends early or is malformed while reading {what}.");
}
