using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>
/// A room's history is judged by what held when the server sequenced each event, not by today's
/// clock or today's revocations: people who join long after someone was revoked, or after
/// certificates expired, still follow the one group everyone else is in.
/// </summary>
public class HistoryJudgementTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    // Everyone reads what everyone else sends from now on, each exactly once.
    private static void AssertEveryoneReadsEveryone(params GroupHarness.Member[] members)
    {
        foreach (var m in members)
        {
            m.CatchUp();
        }

        var texts = members.Select((m, i) => $"from {m.Identity.UserName} #{i} {Guid.NewGuid():N}").ToList();
        for (var i = 0; i < members.Length; i++)
        {
            members[i].Send(texts[i]);
        }

        foreach (var m in members)
        {
            m.CatchUp();
            foreach (var text in texts)
            {
                Assert.Single(m.Texts, t => t == text);
            }

            Assert.True(m.State.IsMember, $"{m.Identity.UserName} is not a member");
        }

        var epochs = members.Select(m => m.State.Epoch).Distinct().ToList();
        Assert.Single(epochs);
    }

    [Fact]
    public void A_joiner_after_a_revocation_follows_the_same_group()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        alice.Commit(CommitReason.Create);
        time.Advance(TimeSpan.FromMinutes(1));
        bob.Publish();
        bob.Join();

        time.Advance(TimeSpan.FromDays(3));
        h.Revoke(alice);
        time.Advance(TimeSpan.FromMinutes(1));
        bob.Change(CommitReason.Remove, removed: [alice]);
        bob.Send("alice is gone");

        time.Advance(TimeSpan.FromDays(2));
        var carol = h.AddJoined("carol");
        Assert.DoesNotContain(carol.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        bob.CatchUp();
        Assert.Equal(bob.State.Epoch, carol.State.Epoch);
        AssertEveryoneReadsEveryone(bob, carol);
    }

    [Fact]
    public void A_joiner_after_an_expiry_follows_the_same_group()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice", validDays: 30);
        alice.Send("while alice was valid");
        time.Advance(TimeSpan.FromDays(10));
        var bob = h.AddJoined("bob");

        time.Advance(TimeSpan.FromDays(25));
        Assert.Equal([alice.Identity.Serial], bob.State.InvalidMembers);
        bob.Change(CommitReason.Remove, removed: [alice]);

        time.Advance(TimeSpan.FromDays(100));
        var carol = h.AddJoined("carol");
        Assert.DoesNotContain(carol.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        AssertEveryoneReadsEveryone(bob, carol);
    }

    [Fact]
    public void Several_revocations_and_expiries_in_a_rooms_history_leave_it_joinable()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice", validDays: 20);
        var bob = h.AddJoined("bob");
        var dave = h.AddJoined("dave", validDays: 40);
        var erin = h.AddJoined("erin");
        var frank = h.AddJoined("frank");
        bob.Send("five of us");

        time.Advance(TimeSpan.FromDays(1));
        h.Revoke(erin);
        frank.Change(CommitReason.Remove, removed: [erin]);
        time.Advance(TimeSpan.FromDays(21));
        bob.Change(CommitReason.Remove, removed: [alice]);
        h.Revoke(frank);
        time.Advance(TimeSpan.FromDays(20));
        dave.CatchUp();
        bob.Change(CommitReason.Remove, removed: [dave, frank]);
        bob.Send("only bob is left");

        time.Advance(TimeSpan.FromDays(30));
        var gina = h.AddJoined("gina");
        var hal = h.AddJoined("hal");
        Assert.DoesNotContain(gina.Outcomes.Concat(hal.Outcomes), o => o.Kind == GroupOutcomeKind.Rejected);
        AssertEveryoneReadsEveryone(bob, gina, hal);
    }

    [Fact]
    public void A_second_device_of_an_existing_user_joins_after_a_revocation()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        time.Advance(TimeSpan.FromHours(5));
        h.Revoke(alice);
        bob.Change(CommitReason.Remove, removed: [alice]);

        time.Advance(TimeSpan.FromHours(5));
        var bobLaptop = h.AddJoined("bob");
        Assert.DoesNotContain(bobLaptop.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        AssertEveryoneReadsEveryone(bob, bobLaptop);
    }

    [Theory]
    [InlineData(-10)]
    [InlineData(10)]
    public void A_joiner_whose_clock_is_ten_minutes_off_follows_the_same_group(int minutes)
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        time.Advance(TimeSpan.FromHours(1));
        h.Revoke(alice);
        bob.Change(CommitReason.Remove, removed: [alice]);

        // Carol's certificate is issued just now by the server's clock; her own is ten minutes off.
        var carol = h.AddJoined("carol", clockOffset: TimeSpan.FromMinutes(minutes));
        Assert.DoesNotContain(carol.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        AssertEveryoneReadsEveryone(bob, carol);
    }

    [Fact]
    public void A_founding_commit_is_refused_anywhere_but_first()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            // Mallory follows nothing (a fresh state) and founds "her own" group at the server's current epoch.
            var at = h.Log.Count;
            var mallory = h.Add("mallory");
            mallory.Publish();
            var (body, _) = mallory.State.CreateCommit(CommitReason.Create, []);
            h.Store(mallory, EventKind.Commit, body, alice.State.ServerEpoch);

            // A device that saw none of the history before it (it could not follow it) must not take it either.
            var dave = h.Add("dave");
            dave.SkipTo(at);
            var outcome = Assert.Single(dave.CatchUp(), o => o.Kind != GroupOutcomeKind.Applied);
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.CreateNotFirst, outcome.Code);
            Assert.Equal(0UL, dave.State.Epoch);
            AssertEveryoneReadsEveryone(alice, bob);
        }
    }

    [Fact]
    public void History_sent_by_a_member_revoked_later_stays_readable_to_those_who_could_read_it()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.Add("bob");
        bob.Publish();
        bob.Join();
        alice.Send("before the revocation");
        time.Advance(TimeSpan.FromDays(1));
        h.Revoke(alice);

        // Bob's device was offline and reads the history only now, knowing the revocation.
        bob.CatchUp();
        Assert.Contains("before the revocation", bob.Texts);
    }

    [Fact]
    public void A_message_sequenced_after_its_senders_revocation_is_refused()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        var late = alice.State.Encrypt("after the revocation"u8, ContentType.Text, DateTimeOffset.UtcNow);
        time.Advance(TimeSpan.FromMinutes(5));
        h.Revoke(alice);
        time.Advance(TimeSpan.FromMinutes(1));
        h.Store(alice, EventKind.Chat, late);
        var outcome = bob.CatchUp().Last();
        Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
        Assert.Equal(RejectReason.CertificateRevoked, outcome.Code);
    }

    [Fact]
    public void A_server_that_backdates_an_event_cannot_move_the_rooms_clock_back()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        var late = alice.State.Encrypt("backdated"u8, ContentType.Text, DateTimeOffset.UtcNow);
        time.Advance(TimeSpan.FromDays(1));
        h.Revoke(alice);
        h.Add("carol").Publish();
        bob.CatchUp();
        var clock = bob.State.RoomClock;

        // The lying server stamps alice's late message (still in the current epoch) with a time before her revocation.
        var e = new RoomEvent(h.Room, (ulong)h.Log.Count + 1, Guid.NewGuid(), "alice", alice.Identity.Serial, EventKind.Chat,
            bob.State.ServerEpoch, Start, late);
        var outcome = bob.Deliver(e);
        Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
        Assert.Equal(RejectReason.CertificateRevoked, outcome.Code);
        Assert.Equal(clock, bob.State.RoomClock);
    }

    [Fact]
    public void A_server_that_dates_events_far_ahead_cannot_expire_valid_members()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice", validDays: 30);
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        var message = alice.State.Encrypt("dated next year"u8, ContentType.Text, DateTimeOffset.UtcNow);
        var e = new RoomEvent(h.Room, (ulong)h.Log.Count + 1, Guid.NewGuid(), "alice", alice.Identity.Serial, EventKind.Chat,
            bob.State.ServerEpoch, Start.AddYears(1), message);
        var outcome = bob.Deliver(e);
        Assert.Equal(GroupOutcomeKind.Message, outcome.Kind);
        Assert.True(bob.State.RoomClock <= Start + GroupState.MaxEventClockLead + TimeSpan.FromMinutes(1));
        Assert.Empty(bob.State.InvalidMembers);
    }
}
