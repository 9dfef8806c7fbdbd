using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>A room's group on a device: each event processed once, in order, and none, however
/// hostile, able to throw out of the pump.</summary>
public class RoomGroupTests
{
    [Fact]
    public void An_event_already_processed_is_not_processed_again()
    {
        var (h, alice, _) = GroupHarness.TwoMembers();
        using var _h = h;
        // A device added by someone else reads the room from its package key alone (a device's
        // own commit opens only with the pending entry its own state recorded).
        var carol = h.Add("carol");
        carol.Publish();
        alice.Change(CommitReason.Add, added: [carol]);
        var group = new RoomGroup(new GroupState(h.Room, carol.Identity, h.Verifier), new Positions());
        foreach (var e in h.Log)
        {
            Assert.NotNull(group.Process(e));
        }

        Assert.True(group.Read(s => s.IsMember));
        Assert.Equal((ulong)h.Log.Count, group.ProcessedThrough);
        Assert.Null(group.Process(h.Log[^1]));
        Assert.Equal((ulong)h.Log.Count, group.Export().ProcessedThrough);
    }

    [Fact]
    public void A_commit_that_cannot_be_parsed_is_refused_and_passed()
    {
        var (h, _, bob) = GroupHarness.TwoMembers();
        using var _h = h;
        var group = new RoomGroup(new GroupState(h.Room, bob.Identity, h.Verifier), new Positions());
        var junk = new RoomEvent(h.Room, 1, Guid.NewGuid(), "mallory", "ff", EventKind.Commit, 0, h.Time.GetUtcNow(), [1, 2, 3]);

        var outcome = group.Process(junk);
        Assert.Equal(GroupOutcomeKind.Rejected, outcome!.Kind);
        Assert.Equal(1ul, group.ProcessedThrough);
    }

    [Fact]
    public async Task One_sender_at_a_time_holds_the_send_lock()
    {
        var (h, _, bob) = GroupHarness.TwoMembers();
        using var _h = h;
        var group = new RoomGroup(new GroupState(h.Room, bob.Identity, h.Verifier), new Positions());
        var first = await group.EnterSendingAsync(CancellationToken.None);
        var second = group.EnterSendingAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public void The_position_is_read_and_moved_through_its_owner()
    {
        var (h, _, bob) = GroupHarness.TwoMembers();
        using var _h = h;
        var owner = new Positions();
        owner.AdvanceProcessed(h.Room, (ulong)h.Log.Count - 1);
        var group = new RoomGroup(new GroupState(h.Room, bob.Identity, h.Verifier), owner);

        // Everything the owner has as processed is passed over; the rest is processed and moves it.
        Assert.Null(group.Process(h.Log[0]));
        Assert.NotNull(group.Process(h.Log[^1]));
        Assert.Equal((ulong)h.Log.Count, owner.ProcessedThrough(h.Room));
    }

    private sealed class Positions : IReadPositions
    {
        private readonly Dictionary<string, ulong> _through = [];

        public ulong ProcessedThrough(string room) => _through.GetValueOrDefault(room);

        public void AdvanceProcessed(string room, ulong sequence) => _through[room] = Math.Max(sequence, ProcessedThrough(room));
    }
}
