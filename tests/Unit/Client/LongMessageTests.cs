using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Long messages (issue 9, item 7): up to 64 KiB of UTF-8 go through end to end, and
/// more is refused before anything is encrypted, with a stable id that says the limit.</summary>
public class LongMessageTests
{
    private static async Task<(ChatHarness H, OpenChat.Engine.Client.SecureSession Alice, OpenChat.Engine.Client.SecureSession Bob)> AliceAndBobAsync()
    {
        var h = await ChatHarness.StartAsync();
        var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        return (h, alice, bob);
    }

    [Theory]
    [InlineData("x")] // 1 byte each
    [InlineData("é")] // 2 bytes each
    [InlineData("中")] // 3 bytes: 21,845 of them and one more ASCII byte
    [InlineData("😀")] // 4 bytes, a surrogate pair in UTF-16
    public async Task A_message_of_64_KiB_of_utf8_round_trips_exactly(string unit)
    {
        var (h, alice, bob) = await AliceAndBobAsync();
        await using var _ = h;
        await using var a = alice;
        await using var b = bob;
        var size = Encoding.UTF8.GetByteCount(unit);
        var text = string.Concat(Enumerable.Repeat(unit, FrameLimits.MaxTextBytes / size)) + new string('.', FrameLimits.MaxTextBytes % size);
        Assert.Equal(64 * 1024, Encoding.UTF8.GetByteCount(text));

        await alice.SendAsync("ops", text);
        var received = await SecureHarness.NextAsync(bob);
        Assert.True(received.Verified, received.Problem);
        Assert.Equal(text, received.Text);
    }

    [Fact]
    public async Task A_message_over_the_limit_is_refused_with_MessageTooLarge_and_the_next_one_goes_through()
    {
        var (h, alice, bob) = await AliceAndBobAsync();
        await using var _ = h;
        await using var a = alice;
        await using var b = bob;

        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.SendAsync("ops", new string('é', (FrameLimits.MaxTextBytes / 2) + 1)));
        Assert.Equal(ErrorIds.MessageTooLarge, e.ErrorId);
        Assert.Equal(ErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("65,538 bytes", e.Message);
        Assert.Contains("65,536", e.Message);

        await alice.SendAsync("ops", "after the refused one");
        var next = await SecureHarness.NextAsync(bob);
        Assert.Equal("after the refused one", next.Text);
        Assert.Equal(0u, next.MissingBefore); // the refusal used up no message key
    }

    [Fact]
    public void The_longest_message_with_the_longest_names_fits_a_frame()
    {
        var room = new string('r', 48);
        var sender = new string('u', 32);
        var serial = new string('0', 64);
        var token = Fernet.Encrypt(RandomNumberGenerator.GetBytes(32), new byte[FrameLimits.MaxTextBytes]);
        var body = new Envelope(room, ulong.MaxValue, sender, serial, uint.MaxValue, ContentType.Text, token, new byte[64]).ToBytes();
        Assert.True(RoomEvent.FrameSize(room, sender, serial, body.Length) <= FrameLimits.MaxFrameSize);
        Assert.True(body.Length < 70_000, $"the envelope of 64 KiB of text is {body.Length} bytes"); // the token travels in binary
    }

    [Fact]
    public void The_text_limit_is_checked_in_bytes_of_utf8_not_characters()
    {
        FrameLimits.CheckText(new string('x', FrameLimits.MaxTextBytes));
        FrameLimits.CheckText(new string('é', FrameLimits.MaxTextBytes / 2));
        Assert.Throws<OpenChatException>(() => FrameLimits.CheckText(new string('x', FrameLimits.MaxTextBytes + 1)));
        Assert.Throws<OpenChatException>(() => FrameLimits.CheckText(new string('中', (FrameLimits.MaxTextBytes / 3) + 1)));
    }
}
