using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Protocol;

/// <summary>The variable-length integers of the event frames: every value has exactly one
/// encoding, and anything longer, wider or cut short is the peer's protocol error.</summary>
public sealed class VarintTests
{
    private static byte[] Written(ulong value) => PayloadWriter.Body().VarU64(value).ToBody();

    private static ulong Read(byte[] bytes)
    {
        var r = new PayloadReader(bytes);
        var value = r.VarU64();
        r.End();
        return value;
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(16_383UL, 2)]
    [InlineData(16_384UL, 3)]
    [InlineData(1_764_000_000_000UL, 6)]
    [InlineData(ulong.MaxValue >> 1, 9)]
    [InlineData(ulong.MaxValue, 10)]
    public void A_value_takes_its_shortest_form_and_reads_back(ulong value, int length)
    {
        var bytes = Written(value);

        Assert.Equal(length, bytes.Length);
        Assert.Equal(length, PayloadWriter.VarLength(value));
        Assert.Equal(value, Read(bytes));
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(-1L, 1)]
    [InlineData(63L, 1)]
    [InlineData(-64L, 1)]
    [InlineData(64L, 2)]
    [InlineData(1_764_000_000_000L, 6)]
    [InlineData(-62_135_596_800_000L, 7)]
    [InlineData(long.MaxValue, 10)]
    [InlineData(long.MinValue, 10)]
    public void A_signed_value_of_either_sign_stays_short_and_reads_back(long value, int length)
    {
        var bytes = PayloadWriter.Body().VarI64(value).ToBody();

        Assert.Equal(length, bytes.Length);
        var r = new PayloadReader(bytes);
        Assert.Equal(value, r.VarI64());
        r.End();
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x00 })]
    [InlineData(new byte[] { 0xFF, 0x80, 0x00 })]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 })]
    public void A_longer_form_than_needed_is_refused(byte[] bytes) =>
        Assert.Throws<ProtocolException>(() => Read(bytes));

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00 })]
    [InlineData(new byte[] { 0x80 })]
    [InlineData(new byte[] { })]
    public void A_value_over_64_bits_or_cut_short_is_refused(byte[] bytes) =>
        Assert.Throws<ProtocolException>(() => Read(bytes));

    [Fact]
    public void A_bounded_read_refuses_what_is_over_its_bound()
    {
        var bytes = Written(4096);

        Assert.Throws<ProtocolException>(() => new PayloadReader(bytes).VarU32(4095));
        Assert.Equal(4096u, new PayloadReader(bytes).VarU32(4096));
    }

    [Fact]
    public void A_byte_string_longer_than_what_is_left_is_refused()
    {
        var bytes = PayloadWriter.Body().VarBytes([1, 2, 3]).ToBody();

        Assert.Equal([1, 2, 3], new PayloadReader(bytes).VarBytes());
        Assert.Throws<ProtocolException>(() => new PayloadReader(bytes[..^1]).VarBytes());
        Assert.Throws<ProtocolException>(() => new PayloadReader(Written(ulong.MaxValue)).VarBytes());
    }
}
