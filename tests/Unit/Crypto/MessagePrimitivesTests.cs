using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine.Crypto;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Crypto;

/// <summary>The shortcuts a message's encryption takes (issue 16: IVs drawn a page at a time, the
/// ratchet's two HMACs under one key, the token kept in binary) give what the long way gives.</summary>
public class MessagePrimitivesTests
{
    private static byte[] Key(System.Text.Json.JsonElement e) => Fernet.KeyFromBase64(e.GetProperty("secret").GetString()!);

    private static DateTimeOffset Time(System.Text.Json.JsonElement e) =>
        DateTimeOffset.Parse(e.GetProperty("now").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Unbase64Url(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/'));

    [Fact]
    public void The_iv_pool_never_hands_out_the_same_iv_twice_across_pages()
    {
        // 1,000 IVs span four 4 KB pages; a repeat would mean a page was reused or not refilled.
        var seen = new HashSet<string>();
        var iv = new byte[IvPool.IvLength];
        for (var i = 0; i < 1000; i++)
        {
            IvPool.Fill(iv);
            Assert.True(seen.Add(Convert.ToHexString(iv)), $"IV {i} repeated");
        }

        Assert.DoesNotContain(seen, s => s == new string('0', 32));
    }

    [Fact]
    public void The_iv_pool_gives_each_thread_its_own_ivs()
    {
        var all = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            var iv = new byte[IvPool.IvLength];
            for (var i = 0; i < 300; i++)
            {
                IvPool.Fill(iv);
                all.Add(Convert.ToHexString(iv));
            }
        });
        Assert.Equal(1200, all.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(32)]
    public void The_iv_pool_refuses_a_buffer_that_is_not_one_iv(int length) =>
        Assert.Throws<ArgumentException>(() => IvPool.Fill(new byte[length]));

    [Fact]
    public void Two_hmacs_under_one_key_equal_two_separate_hmacs()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var (first, second) = Kdf.Hmac(key, [0x01], [0x02]);
        Assert.Equal(HMACSHA256.HashData(key, new byte[] { 0x01 }), first);
        Assert.Equal(HMACSHA256.HashData(key, new byte[] { 0x02 }), second);
        Assert.NotEqual(first, second);

        // A key longer than a SHA-256 block is hashed first: still the same as the one-shot form.
        var longKey = RandomNumberGenerator.GetBytes(100);
        var (a, b) = Kdf.Hmac(longKey, "x"u8, "yy"u8);
        Assert.Equal(HMACSHA256.HashData(longKey, "x"u8), a);
        Assert.Equal(HMACSHA256.HashData(longKey, "yy"u8), b);
    }

    [Fact]
    public void The_binary_token_is_the_specs_token_before_base64()
    {
        foreach (var c in Vectors.Load("fernet/generate.json").EnumerateArray())
        {
            var iv = c.GetProperty("iv").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray();
            var bytes = Fernet.EncryptToBytes(Key(c), Encoding.UTF8.GetBytes(c.GetProperty("src").GetString()!), Time(c), iv);
            Assert.Equal(Unbase64Url(c.GetProperty("token").GetString()!), bytes);
        }
    }

    [Fact]
    public void The_binary_token_decrypts_as_the_spec_says_and_carries_its_timestamp()
    {
        foreach (var c in Vectors.Load("fernet/verify.json").EnumerateArray())
        {
            var bytes = Unbase64Url(c.GetProperty("token").GetString()!);
            var plain = Fernet.DecryptBytes(Key(c), bytes, Time(c), TimeSpan.FromSeconds(c.GetProperty("ttl_sec").GetInt32()));
            Assert.Equal(c.GetProperty("src").GetString(), Encoding.UTF8.GetString(plain));
            Assert.Equal(Fernet.TimestampOf(c.GetProperty("token").GetString()!), Fernet.TimestampOfBytes(bytes));
        }
    }

    [Fact]
    public void The_binary_form_refuses_the_specs_invalid_tokens_that_decode_to_bytes()
    {
        var refused = 0;
        foreach (var c in Vectors.Load("fernet/invalid.json").EnumerateArray())
        {
            byte[] bytes;
            try
            {
                bytes = Unbase64Url(c.GetProperty("token").GetString()!);
            }
            catch (FormatException)
            {
                continue; // a base64 fault has no binary form
            }

            var e = Record.Exception(() => Fernet.DecryptBytes(Key(c), bytes, Time(c), TimeSpan.FromSeconds(c.GetProperty("ttl_sec").GetInt32())));
            Assert.True(e is CryptoException, $"'{c.GetProperty("desc").GetString()}' was not refused ({e?.GetType().Name ?? "accepted"})");
            refused++;
        }

        Assert.True(refused >= 5, $"only {refused} invalid vectors had a binary form");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    public void A_binary_token_too_short_for_a_timestamp_is_refused(int length)
    {
        Assert.Throws<CryptoException>(() => Fernet.TimestampOfBytes(new byte[length]));
        Assert.Throws<CryptoException>(() => Fernet.DecryptBytes(new byte[32], new byte[length], DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Aes_cbc_into_a_span_equals_the_array_form_and_refuses_a_wrong_length()
    {
        var (key, iv, plain) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(37));
        var into = new byte[AesCbc.CiphertextLength(plain.Length)];
        AesCbc.Encrypt(key, iv, plain, into);
        Assert.Equal(AesCbc.Encrypt(key, iv, plain), into);
        Assert.Equal(48, into.Length);
        Assert.Equal(plain, AesCbc.Decrypt(key, iv, into));
        Assert.ThrowsAny<Exception>(() => AesCbc.Encrypt(key, iv, plain, new byte[32]));
    }
    [Fact]
    public void The_envelope_signs_what_a_body_writer_holds_and_a_frame_writer_refuses_to_lend_its_bytes()
    {
        var body = OpenChat.Engine.Protocol.PayloadWriter.Body(8).U8(7).String("ops");
        Assert.Equal(body.ToBody(), body.Written.ToArray());
        var frame = new OpenChat.Engine.Protocol.PayloadWriter(OpenChat.Engine.Protocol.MessageType.Ack).U32(1);
        Assert.Throws<InvalidOperationException>(() => frame.Written.Length);
    }
}
