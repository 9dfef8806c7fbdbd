using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>Only a signed departure, a revocation or an expiry (as of when the removal was
/// sequenced) takes a member out of a room's encryption: no member can cut off another.</summary>
public class RemovalAuthorityTests
{
    [Fact]
    public void A_member_cannot_remove_a_valid_member_who_never_left()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var carol = h.AddJoined("carol");
            alice.CatchUp();
            bob.CatchUp();
            var epoch = carol.State.Epoch;

            // Mallory-bob signs a removal of carol, who is valid, unrevoked and still here.
            bob.Change(CommitReason.Remove, removed: [carol]);
            Assert.Contains(bob.Outcomes, o => o.Code == RejectReason.RemovalOfEntitledMember);
            alice.CatchUp();
            carol.CatchUp();
            Assert.Equal(epoch, alice.State.Epoch);
            Assert.Equal(epoch, carol.State.Epoch);
            Assert.True(carol.State.IsMember);

            alice.Send("carol still reads this");
            carol.CatchUp();
            Assert.Contains("carol still reads this", carol.Texts);
        }
    }

    [Fact]
    public void A_removal_of_a_member_revoked_only_after_it_was_sequenced_is_refused()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        var carol = h.AddJoined("carol");
        bob.CatchUp();
        bob.Change(CommitReason.Remove, removed: [carol]);

        // Carol is revoked a day later; a device reading the history now still refuses the early removal.
        time.Advance(TimeSpan.FromDays(1));
        h.Revoke(carol);
        var dave = h.AddJoined("dave");
        Assert.Contains(dave.Outcomes, o => o.Code == RejectReason.RemovalOfEntitledMember);
        Assert.Contains(carol.Identity.Serial, dave.State.MemberSerials);
    }

    [Fact]
    public void Removals_of_revoked_expired_and_departed_members_are_accepted()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        var carol = h.AddJoined("carol");
        var dave = h.AddJoined("dave", validDays: 2);
        var erin = h.AddJoined("erin");

        h.Revoke(carol);
        alice.Change(CommitReason.Remove, removed: [carol]);
        erin.CatchUp();
        Assert.Equal(GroupOutcomeKind.Applied, erin.Outcomes.Last().Kind);
        erin.Depart();
        alice.Change(CommitReason.Remove, removed: [erin]);
        time.Advance(TimeSpan.FromDays(3));
        alice.Change(CommitReason.Remove, removed: [dave]);
        alice.Send("alice and bob");
        bob.CatchUp();
        Assert.DoesNotContain(bob.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        Assert.Equal(2, bob.State.MemberSerials.Count);
        Assert.Contains("alice and bob", bob.Texts);
    }

    [Fact]
    public void A_removal_that_drops_a_valid_member_along_with_a_revoked_one_is_refused_whole()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var carol = h.AddJoined("carol");
            var dave = h.AddJoined("dave");
            h.Revoke(dave);
            bob.Change(CommitReason.Remove, removed: [dave, carol]);
            var refusal = Assert.Single(carol.CatchUp(), o => o.Kind == GroupOutcomeKind.Rejected);
            Assert.Equal(RejectReason.RemovalOfEntitledMember, refusal.Code);
            Assert.Contains(carol.Identity.Serial, refusal.Reason);
            Assert.Contains(dave.Identity.Serial, carol.State.MemberSerials);
            Assert.True(carol.State.IsMember);
            Assert.Throws<CryptoException>(() => carol.State.Encrypt("dave must go first"u8, ContentType.Text, DateTimeOffset.UtcNow));
        }
    }

    [Fact]
    public void In_the_second_a_revocation_names_the_member_may_still_speak_and_may_already_be_removed()
    {
        // A revocation list tells only the second: both readings of it must hold at once, or a
        // removal committed right after a revocation would split the room.
        var time = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        var last = alice.State.Encrypt("sent as the admin revoked me"u8, ContentType.Text, DateTimeOffset.UtcNow);
        time.Advance(TimeSpan.FromSeconds(1));
        var second = time.Now;
        h.Registry.Revoke(alice.Identity.Serial);
        h.TeachRevocations();

        RoomEvent At(EventKind kind, string sender, string serial, ulong epoch, byte[] body, int ms) =>
            new(h.Room, (ulong)h.Log.Count + 1, Guid.NewGuid(), sender, serial, kind, epoch, second.AddMilliseconds(ms), body);
        h.Log.Add(At(EventKind.Chat, "alice", alice.Identity.Serial, bob.State.ServerEpoch, last, 200));
        bob.CatchUp();
        Assert.Contains("sent as the admin revoked me", bob.Texts);

        var (removal, builtOn) = bob.State.CreateCommit(CommitReason.Remove, [bob.Identity.Serial]);
        h.Log.Add(At(EventKind.Commit, "bob", bob.Identity.Serial, builtOn, removal, 400));
        bob.CatchUp();
        Assert.DoesNotContain(bob.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        Assert.Equal([bob.Identity.Serial], bob.State.MemberSerials);
    }

    [Fact]
    public void A_join_cannot_found_a_group()
    {
        using var h = new GroupHarness();
        var alice = h.AddJoined("alice");
        Assert.Contains(alice.Outcomes, o => o.Code == RejectReason.JoinWithoutGroup);
        Assert.Equal(0UL, alice.State.Epoch);
    }
}
