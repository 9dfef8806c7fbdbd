using OpenChat.Engine.Pki;

namespace OpenChat.Tests.Unit.Pki;

public class UserNameSkeletonTests
{
    [Theory]
    [InlineData("aIice", "alice")]
    [InlineData("a1ice", "alice")]
    [InlineData("al1ce", "alice")]
    [InlineData("b0b", "bob")]
    [InlineData("B0B", "bob")]
    [InlineData("rnallory", "mallory")]
    [InlineData("c1ara", "clara")]
    [InlineData("dara", "clara")]
    [InlineData("vvendy", "wendy")]
    [InlineData("5am", "sam")]
    [InlineData("bob_smith", "bob.smith")]
    [InlineData("bob-smith", "bob.smith")]
    [InlineData("Alice", "alice")]
    public void Look_alikes_share_a_skeleton(string lookalike, string original) =>
        Assert.Equal(UserNameSkeleton.Of(original), UserNameSkeleton.Of(lookalike));

    [Theory]
    [InlineData("alicia", "alice")]
    [InlineData("bobby", "bob")]
    [InlineData("mallory", "malory")]
    [InlineData("carol", "karol")]
    [InlineData("dave", "dove")]
    [InlineData("bobsmith", "bob.smith")]
    public void Names_that_read_differently_keep_different_skeletons(string one, string other) =>
        Assert.NotEqual(UserNameSkeleton.Of(one), UserNameSkeleton.Of(other));

    [Fact]
    public void A_skeleton_is_its_own_skeleton_for_the_pairs_it_merges()
    {
        // rn -> m, vv -> w, cl -> d make letters that start no pair: one pass is the fixed point.
        foreach (var name in new[] { "rnrnrn", "vvvvv", "cIcl1", "rnvvcl", "a1ice", "b0b" })
        {
            var once = UserNameSkeleton.Of(name);
            Assert.Equal(once, UserNameSkeleton.Of(once));
        }
    }
}
