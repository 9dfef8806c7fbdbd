using OpenChat.Engine.Client;
using Xunit;

namespace OpenChat.Tests.Unit.Support;

/// <summary>The usual start of a renewal story: alice and bob enrolled on a real server, chatting
/// in one room, bob having verified alice.</summary>
public static class TwoChatting
{
    public const string Room = "ops";

    public static async Task<(ChatHarness H, ChatProfile AliceProfile, SecureSession Alice, SecureSession Bob)> StartAsync()
    {
        var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        var alice = await h.SecureAsync(aliceProfile);
        await alice.CreateRoomAsync(Room);
        await bob.EnterAsync(Room);
        await alice.SendAsync(Room, "before");
        await SecureHarness.NextWithTextAsync(bob, "before");
        bob.ConfirmContact("alice");
        return (h, aliceProfile, alice, bob);
    }

    /// <summary>One message each way, each read verified by the other.</summary>
    public static async Task BothWaysAsync(SecureSession alice, SecureSession bob, string tag)
    {
        await alice.SendAsync(Room, $"alice {tag}");
        var toBob = await SecureHarness.NextWithTextAsync(bob, $"alice {tag}");
        Assert.Equal(("alice", true), (toBob.Sender, toBob.Verified));
        await bob.SendAsync(Room, $"bob {tag}");
        Assert.True((await SecureHarness.NextWithTextAsync(alice, $"bob {tag}")).Verified);
    }

    /// <summary>Takes every waiting message that <paramref name="which"/> selects.</summary>
    public static List<SecureMessage> Drain(SecureSession session, Func<SecureMessage, bool> which)
    {
        var taken = new List<SecureMessage>();
        while (session.TryReceive(out var message, which))
        {
            taken.Add(message!);
        }

        return taken;
    }
}
