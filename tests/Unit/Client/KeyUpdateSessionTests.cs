using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Key updates through a live server: committed before a send when due, and soon after a
/// removal by a member who stays silent, so a removed device's keys stop reaching the room.</summary>
public class KeyUpdateSessionTests
{
    [Fact]
    public async Task A_silent_member_commits_its_key_update_soon_after_a_removal()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await carol.EnterAsync("ops");
        await alice.SendAsync("ops", "before");
        await SecureHarness.NextWithTextAsync(bob, "before");

        await carol.LeaveAsync("ops");
        await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Left });
        await alice.SendAsync("ops", "after carol left");
        await SecureHarness.NextWithTextAsync(bob, "after carol left");

        // bob sends nothing, yet his device replaces its key within seconds of the removal.
        var update = await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Rotated, Actor: "bob" }, 20_000);
        Assert.DoesNotContain("carol", ((MembershipNotice)update.Notice!).Members);
        await alice.SendAsync("ops", "healed");
        Assert.Equal(("healed", true), ((await SecureHarness.NextWithTextAsync(bob, "healed")).Text, true));
        Assert.Equal(alice.GroupEpoch("ops"), bob.GroupEpoch("ops"));
    }

    [Fact]
    public async Task A_member_due_an_update_by_the_rooms_message_count_commits_it_before_its_next_send()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await SecureSession.ConnectAsync(await h.EnrollAsync("bob"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), KeyUpdateAfterMessages = 2 });
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "one");
        await SecureHarness.NextWithTextAsync(bob, "one");
        var epoch = bob.GroupEpoch("ops");
        await bob.SendAsync("ops", "two");
        Assert.Equal(epoch, bob.GroupEpoch("ops"));
        await SecureHarness.NextWithTextAsync(alice, "two");

        // "one" and "two" were seen under bob's key: his next send commits an update first.
        await bob.SendAsync("ops", "three");
        Assert.Equal(epoch + 1, bob.GroupEpoch("ops"));
        var received = await SecureHarness.NextWithTextAsync(alice, "three");
        Assert.True(received.Verified);
        Assert.Equal(epoch + 1, alice.GroupEpoch("ops"));
    }

    [Fact]
    public async Task A_silent_member_updates_its_key_a_week_after_its_leaf_was_set()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bobTime = new ManualTime(DateTimeOffset.UtcNow);
        await using var bob = await SecureSession.ConnectAsync(await h.EnrollAsync("bob"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), Time = bobTime });
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "today");
        await SecureHarness.NextWithTextAsync(bob, "today");
        var epoch = bob.GroupEpoch("ops");

        // A week on bob's clock: bob only reads, yet his device replaces its key.
        bobTime.Advance(GroupState.DefaultKeyUpdateInterval + TimeSpan.FromMinutes(1));
        await alice.SendAsync("ops", "a week later");
        await SecureHarness.NextWithTextAsync(bob, "a week later");
        await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Rotated, Actor: "bob" }, 20_000);
        await alice.SendAsync("ops", "healed");
        await SecureHarness.NextWithTextAsync(bob, "healed");
        Assert.Equal(epoch + 1, bob.GroupEpoch("ops"));
        Assert.Equal(alice.GroupEpoch("ops"), bob.GroupEpoch("ops"));
    }

    [Fact]
    public async Task A_device_added_by_someone_else_updates_without_sending()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bobProfile = await h.EnrollAsync("bob");
        var bob = await h.SecureAsync(bobProfile);
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "before");
        await SecureHarness.NextWithTextAsync(bob, "before");
        await bob.DisposeAsync();

        // bob is offline: alice adds his device from ops to their direct room, wrapped to its
        // long-term package key. Once back, bob's device replaces that key with no send of his.
        var dm = await alice.OpenDirectAsync("bob");
        await alice.SendAsync(dm.Name, "while you were out");
        await using var bobAgain = await h.SecureAsync(bobProfile);
        await SecureHarness.NextWithTextAsync(bobAgain, "while you were out", 20_000);
        var update = await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Rotated, Actor: "bob" }, 20_000);
        Assert.Equal(dm.Name, update.Room);
        await alice.SendAsync(dm.Name, "after your update");
        Assert.True((await SecureHarness.NextWithTextAsync(bobAgain, "after your update")).Verified);
    }

    [Fact]
    public void The_key_update_options_must_be_positive()
    {
        var options = new ChatClientOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.KeyUpdateInterval = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.KeyUpdateInterval = TimeSpan.FromSeconds(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.KeyUpdateAfterMessages = 0);
        options.KeyUpdateInterval = TimeSpan.FromHours(1);
        options.KeyUpdateAfterMessages = 1;
        Assert.Equal((TimeSpan.FromHours(1), 1), (options.KeyUpdateInterval, options.KeyUpdateAfterMessages));
    }
}
