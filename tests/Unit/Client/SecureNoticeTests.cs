using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>The engine says what happened to a room's group as typed notices (the words are the
/// module's): each change emits its own kind, with who made it and who is in the group after it.</summary>
public class SecureNoticeTests
{
    private static Func<SecureNotice?, bool> Kind(MembershipNoticeKind kind, string actor) =>
        n => n is MembershipNotice m && m.Kind == kind && m.Actor == actor;

    [Fact]
    public async Task Founding_joining_leaving_and_removing_each_emit_their_own_kind()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await alice.CreateRoomAsync("ops");
        var created = await SecureHarness.NoticeAsync(alice, Kind(MembershipNoticeKind.Created, "alice"));
        Assert.Equal("", created.Text);

        await carol.EnterAsync("ops");
        var joined = (MembershipNotice)(await SecureHarness.NoticeAsync(alice, Kind(MembershipNoticeKind.Joined, "carol"))).Notice!;
        Assert.Equal(["alice", "carol"], joined.Members.Order(StringComparer.Ordinal));

        await carol.LeaveAsync("ops");
        await SecureHarness.NoticeAsync(alice, Kind(MembershipNoticeKind.Left, "carol"));
        await SecureHarness.NoticeAsync(carol, Kind(MembershipNoticeKind.YouLeft, "carol"));

        // The next sender removes the departed devices first.
        await alice.SendAsync("ops", "after carol left");
        var removed = (MembershipNotice)(await SecureHarness.NoticeAsync(alice, Kind(MembershipNoticeKind.Removed, "alice"))).Notice!;
        Assert.Equal(["alice"], removed.Members);
    }

    [Fact]
    public async Task A_notice_waiting_unread_keeps_its_kind_through_a_restart()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var alice = await h.SecureAsync(aliceProfile);
        await alice.CreateRoomAsync("ops");
        await Eventually.TrueAsync(() => alice.GroupEpoch("ops") > 0, "the room to be founded");
        await alice.DisposeAsync();

        await using var again = await h.SecureAsync(aliceProfile);
        var created = await SecureHarness.NoticeAsync(again, Kind(MembershipNoticeKind.Created, "alice"));
        Assert.Equal("ops", created.Room);
    }
}
