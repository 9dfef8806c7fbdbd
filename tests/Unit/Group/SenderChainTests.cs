using OpenChat.Engine.Group;

namespace OpenChat.Tests.Unit.Group;

public class SenderChainTests
{
    private static byte[] Root() => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Sender_and_receiver_derive_the_same_keys_once_each()
    {
        var sender = new SenderChain(Root());
        var receiver = new SenderChain(Root());
        for (var i = 0; i < 5; i++)
        {
            var (generation, key) = sender.Advance();
            Assert.Equal(key, receiver.KeyFor(generation));
            Assert.Null(receiver.KeyFor(generation)); // a second use is a replay
        }
    }

    [Fact]
    public void Skipped_keys_are_cached_within_bounds()
    {
        var sender = new SenderChain(Root());
        var keys = Enumerable.Range(0, 10).Select(_ => sender.Advance().Key).ToList();
        var receiver = new SenderChain(Root());
        Assert.Equal(keys[9], receiver.KeyFor(9));
        Assert.Equal(9, receiver.SkippedCount);
        Assert.Equal(keys[3], receiver.KeyFor(3));
        Assert.Equal(8, receiver.SkippedCount);
    }

    [Fact]
    public void The_skipped_cache_is_bounded_and_oldest_keys_are_dropped()
    {
        var receiver = new SenderChain(Root());
        Assert.NotNull(receiver.KeyFor((uint)SenderChain.MaxSkipped + 10));
        Assert.Equal(SenderChain.MaxSkipped, receiver.SkippedCount);
        Assert.Null(receiver.KeyFor(0));
        Assert.NotNull(receiver.KeyFor(SenderChain.MaxSkipped + 9));
    }

    [Fact]
    public void A_jump_too_far_ahead_is_refused()
    {
        var receiver = new SenderChain(Root());
        Assert.Null(receiver.KeyFor(SenderChain.MaxJump + 1));
        Assert.NotNull(receiver.KeyFor(SenderChain.MaxJump));
    }

    [Fact]
    public void Chains_differ_per_sender_epoch_and_room()
    {
        var secret = Root();
        var a = SenderChain.ForSender(secret, "ops", 1, "AA").Advance().Key;
        Assert.NotEqual(a, SenderChain.ForSender(secret, "ops", 1, "BB").Advance().Key);
        Assert.NotEqual(a, SenderChain.ForSender(secret, "ops", 2, "AA").Advance().Key);
        Assert.NotEqual(a, SenderChain.ForSender(secret, "dev", 1, "AA").Advance().Key);
        Assert.Equal(a, SenderChain.ForSender(secret, "ops", 1, "AA").Advance().Key);
    }
}
