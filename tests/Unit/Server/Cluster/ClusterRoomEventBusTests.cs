using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using static OpenChat.Tests.Unit.Server.Cluster.ClusterNodes;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>Two nodes' buses over one store and a real nats-server: what one node commits reaches
/// the other's subscribers in order, exactly once, by the bus or, when that fails, the store.</summary>
public sealed class ClusterRoomEventBusTests
{
    private const string Room = "general";

    private static async Task<bool> Within(TimeSpan time, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + time;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return condition();
    }

    [NatsFact]
    public async Task Events_committed_on_one_node_reach_the_other_nodes_subscribers_in_order_exactly_once()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Room(Room)), "node b subscribed to the room on the bus");

        for (var i = 0; i < 20; i++)
        {
            nodes.Commit(a, Room, 3);
        }

        await Eventually(() => Sequences(bob, Room).Count >= 60, "bob received 60 events");
        nodes.Commit(a, Room, 1);
        await Eventually(() => Sequences(bob, Room).Count >= 61, "bob received the 61st event");
        Assert.Equal(Range(1, 61), Sequences(bob, Room));
        Assert.True(b.Bus.BatchesFromBus > 0, "the events came by the bus");
    }

    [NatsFact]
    public async Task Interleaved_commits_from_both_nodes_reach_every_subscriber_in_sequence_order_without_gap_or_duplicate()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        var alice = new TestChannel("alice", "01");
        var bob = new TestChannel("bob", "02");
        var carol = new TestChannel("carol", "03");
        a.Bus.Subscribe(Room, alice);
        b.Bus.Subscribe(Room, bob);
        b.Bus.Subscribe(Room, carol);
        await Eventually(() => a.Bus.BusSubjects.Contains(Subjects.Room(Room)) && b.Bus.BusSubjects.Contains(Subjects.Room(Room)), "both nodes subscribed");

        var total = 0;
        async Task Send(ClusterNode node, int seed)
        {
            await Task.Yield();
            var random = new Random(seed);
            for (var i = 0; i < 40; i++)
            {
                var (first, last) = nodes.Commit(node, Room, random.Next(1, 4));
                Interlocked.Add(ref total, (int)(last - first + 1));
            }
        }

        await Task.WhenAll(Task.Run(() => Send(a, 1)), Task.Run(() => Send(b, 2)));
        foreach (var channel in new[] { alice, bob, carol })
        {
            await Eventually(() => Sequences(channel, Room).Count >= total, $"{channel.UserName} received {total} events");
            Assert.Equal(Range(1, (ulong)total), Sequences(channel, Room));
        }
    }

    [NatsFact]
    public async Task A_batch_that_never_reached_the_bus_is_read_from_the_store_before_the_next_one()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var (a, b, bob) = await nodes.TwoNodesFollowingAsync(nats.Url, Room);

        nodes.Commit(a, Room, 2);
        nodes.Commit(a, Room, 3, publish: false); // committed, then lost on the way
        nodes.Commit(a, Room, 2);

        await Eventually(() => Sequences(bob, Room).Count >= 7, "bob received 7 events");
        Assert.Equal(Range(1, 7), Sequences(bob, Room));
        Assert.Equal(3, b.Bus.EventsFromStore);
    }

    [NatsFact]
    public async Task A_last_batch_lost_on_the_bus_is_delivered_by_the_safety_poll()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url, Options(safetyPoll: TimeSpan.FromMilliseconds(300)));
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.IsBusUp, "both on the bus");

        nodes.Commit(a, Room, 4, publish: false);

        await Eventually(() => Sequences(bob, Room).Count >= 4, "bob received 4 events");
        Assert.Equal(Range(1, 4), Sequences(bob, Room));
        Assert.Equal(4, b.Bus.EventsFromStore);
    }

    [Fact]
    public async Task Without_a_bus_events_go_from_node_to_node_through_the_store()
    {
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var a = nodes.Start("a", natsUrl: null);
        var b = nodes.Start("b", natsUrl: null);
        var alice = new TestChannel("alice", "01");
        var bob = new TestChannel("bob", "02");
        a.Bus.Subscribe(Room, alice);
        b.Bus.Subscribe(Room, bob);

        nodes.Commit(a, Room, 3);
        nodes.Commit(b, Room, 2);
        nodes.Commit(a, Room, 1);

        await Eventually(() => Sequences(bob, Room).Count >= 6 && Sequences(alice, Room).Count >= 6, "both received 6 events");
        Assert.Equal(Range(1, 6), Sequences(alice, Room));
        Assert.Equal(Range(1, 6), Sequences(bob, Room));
        Assert.False(b.Bus.IsBusUp);
        Assert.Equal(0, b.Bus.BatchesFromBus);
    }

    [Fact]
    public async Task Without_a_bus_the_rooms_with_subscribers_are_read_again_from_the_store()
    {
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var b = nodes.Start("b", natsUrl: null);
        b.Bus.Subscribe(Room, new TestChannel("bob", "02"));

        await Eventually(() => b.Host.Changed.Count(r => r == Room) >= 2, "the room was read again twice");
        Assert.DoesNotContain("other", b.Host.Changed);
    }

    [NatsFact]
    public async Task When_nats_stops_delivery_goes_on_through_the_store_and_the_bus_is_used_again_once_it_is_back()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var logs = new RecordingLoggerFactory();
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url, logs: logs);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Room(Room)), "node b subscribed");
        nodes.Commit(a, Room, 2);
        await Eventually(() => b.Bus.BatchesFromBus == 1, "the first batch came by the bus");
        Assert.Contains(logs.Events, e => e.EventId == 1400);

        nats.Stop();
        await Eventually(() => !a.Bus.IsBusUp && !b.Bus.IsBusUp, "both nodes saw the bus go down");
        for (var i = 0; i < 5; i++)
        {
            nodes.Commit(a, Room, 2);
        }

        await Eventually(() => Sequences(bob, Room).Count >= 12, "bob received 12 events while the bus was down");
        Assert.Equal(10, b.Bus.EventsFromStore);
        Assert.Equal(1, b.Bus.BatchesFromBus);

        await nats.RestartAsync();
        await Eventually(() => a.Bus.TimesBusUp >= 2 && b.Bus.TimesBusUp >= 2, "both nodes reconnected");
        // The subscriptions are renewed on reconnect; until they are, a batch may still come by the poll.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (b.Bus.BatchesFromBus < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the bus was not used again after nats-server came back");
            // One lost before the subscription was renewed is read from the store with the next one.
            var (_, last) = nodes.Commit(a, Room, 1);
            await Within(TimeSpan.FromSeconds(1), () => Sequences(bob, Room).Count >= (int)last);
        }

        Assert.Equal(Range(1, (ulong)Sequences(bob, Room).Count), Sequences(bob, Room));
        Assert.Contains(logs.Events, e => e.EventId == 1401); // down
        Assert.Contains(logs.Events, e => e.EventId == 1402); // back
    }

    [NatsFact]
    public async Task A_batch_too_large_for_the_bus_goes_without_its_events_and_is_read_from_the_store()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var small = Options();
        small.MaxEventBytes = 1;
        var a = nodes.Start("a", nats.Url, small);
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Room(Room)), "node b subscribed");

        nodes.Commit(a, Room, 5);

        await Eventually(() => Sequences(bob, Room).Count >= 5, "bob received 5 events");
        Assert.Equal(Range(1, 5), Sequences(bob, Room));
        Assert.Equal(5, b.Bus.EventsFromStore);
    }

    [NatsFact]
    public async Task Presence_published_on_one_node_reaches_the_other_nodes_subscribers()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Presence(Room)), "node b subscribed");

        a.Bus.Publish(Room, [new Presence(Room, "alice", true, DateTimeOffset.UtcNow).ToFrame()]);

        var presence = await bob.WaitForAsync<Presence>();
        Assert.Equal(("alice", true), (presence.UserName, presence.Online));
    }

    [NatsFact]
    public async Task A_node_started_while_nats_is_down_delivers_through_the_store_and_joins_the_bus_when_it_comes_up()
    {
        await using var nats = await NatsServer.StartAsync();
        nats.Stop();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);

        nodes.Commit(a, Room, 2);
        await Eventually(() => Sequences(bob, Room).Count >= 2, "bob received 2 events without the bus");
        Assert.Equal(0, b.Bus.TimesBusUp);

        await nats.RestartAsync();
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Room(Room)), "both nodes connected and b subscribed");
        // A poll already under way when the bus came up may still take a batch: commit until one comes by the bus.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (b.Bus.BatchesFromBus == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the bus was not used once nats-server came up");
            // One lost before the subscription was renewed is read from the store with the next one.
            var (_, last) = nodes.Commit(a, Room, 1);
            await Within(TimeSpan.FromSeconds(1), () => Sequences(bob, Room).Count >= (int)last);
        }

        Assert.Equal(Range(1, (ulong)Sequences(bob, Room).Count), Sequences(bob, Room));
    }

    [NatsFact]
    public async Task With_the_bus_up_the_rooms_with_subscribers_are_still_read_again_now_and_then_in_case_a_change_was_lost()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var b = nodes.Start("b", nats.Url, ClusterNodes.Options(safetyPoll: TimeSpan.FromMilliseconds(100), membershipSafety: TimeSpan.FromMilliseconds(300)));
        await Eventually(() => b.Bus.IsBusUp, "node b on the bus");
        var before = b.Host.Changed.Count(r => r == Room);
        b.Bus.Subscribe(Room, new TestChannel("bob", "02"));

        // Nothing was announced: the reads come from the membership safety interval alone.
        await Eventually(() => b.Host.Changed.Count(r => r == Room) >= before + 2, "the room was read again twice");
        Assert.True(b.Bus.IsBusUp);
        // A reread is not an announcement: the node only drops its cached copy (no direct room offered).
        Assert.Empty(b.Host.Announced);
    }

    [NatsFact]
    public async Task A_room_change_reaches_the_other_node_and_not_its_own()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        await Eventually(() => b.Bus.BusSubjects.Contains(Subjects.Rooms) && a.Bus.IsBusUp, "both on the bus");

        // At most once on the bus: announce until it arrives.
        await Eventually(() =>
        {
            a.Bus.AnnounceRoomChanged("projects");
            return b.Host.Changed.Contains("projects");
        }, "node b heard of the change");
        Assert.Contains("projects", b.Host.Announced);
        Assert.Empty(a.Host.Changed);
    }

    [NatsFact]
    public async Task A_revocation_reaches_the_other_node_and_not_its_own()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        await Eventually(() => b.Bus.BusSubjects.Contains(Subjects.Revoked) && a.Bus.IsBusUp, "both on the bus");

        await Eventually(() =>
        {
            a.Bus.AnnounceRevoked(["0A1B2C", "0D0E"]);
            return b.Host.RevokedSerials.Contains("0D0E");
        }, "node b heard of the revocation");
        Assert.Contains("0A1B2C", b.Host.RevokedSerials);
        Assert.Empty(a.Host.RevokedSerials);
    }

    [NatsFact]
    public async Task A_node_is_subscribed_on_the_bus_only_to_rooms_it_has_subscribers_for()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        nodes.CreateRoom("other");
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        await Eventually(() => b.Bus.BusSubjects.Contains(Subjects.Rooms), "node b on the bus");
        Assert.DoesNotContain(Subjects.Room(Room), b.Bus.BusSubjects);

        b.Bus.Subscribe(Room, bob);
        await Eventually(() => b.Bus.BusSubjects.Contains(Subjects.Room(Room)) && b.Bus.BusSubjects.Contains(Subjects.Presence(Room)), "subscribed to the room");
        Assert.DoesNotContain(Subjects.Room("other"), b.Bus.BusSubjects);
        Assert.DoesNotContain(Subjects.Presence("other"), b.Bus.BusSubjects);

        b.Bus.Unsubscribe(Room, bob);
        await Eventually(() => !b.Bus.BusSubjects.Contains(Subjects.Room(Room)) && !b.Bus.BusSubjects.Contains(Subjects.Presence(Room)), "unsubscribed from the room");
        Assert.Null(b.Bus.DeliveredUpTo(Room));
    }
}
