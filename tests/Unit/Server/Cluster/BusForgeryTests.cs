using NATS.Client.Core;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Server.Cluster;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using static OpenChat.Tests.Unit.Server.Cluster.ClusterNodes;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>Anyone on the NATS network can publish: what is malformed or not what it claims never
/// reaches a client, and does not move a room's delivery.</summary>
public sealed class BusForgeryTests
{
    private const string Room = "general";

    [NatsFact]
    public async Task Malformed_and_mismatched_batches_on_the_bus_are_dropped_and_real_ones_still_arrive_in_order()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var a = nodes.Start("a", nats.Url);
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Room(Room)), "node b subscribed");
        await using var intruder = new NatsConnection(new NatsOpts { Url = nats.Url });
        await intruder.ConnectAsync();

        var forged = new RoomEvent(Room, 1, Guid.NewGuid(), "mallory", "66", EventKind.Chat, 0, DateTimeOffset.UtcNow, [1]).ToFrame();
        var bye = new Bye(ErrorIds.CertificateRevoked, "forged").ToFrame();
        // Garbage; a batch claiming sequences its events do not have; another frame type as an event.
        await intruder.PublishAsync(Subjects.Room(Room), new byte[] { 1, 2, 3 });
        await intruder.PublishAsync(Subjects.Room(Room), BusEnvelope.Committed("x", 1, 1000, 0, [forged]));
        await intruder.PublishAsync(Subjects.Room(Room), BusEnvelope.Committed("x", 1, 1, 0, [bye]));
        await intruder.PublishAsync(Subjects.Presence(Room), BusEnvelope.Transient("x", [bye]));
        // A well-formed claim of events the store does not hold: the gap cannot be read, so nothing moves.
        var ahead = new RoomEvent(Room, 50, Guid.NewGuid(), "mallory", "66", EventKind.Chat, 0, DateTimeOffset.UtcNow, [1]).ToFrame();
        await intruder.PublishAsync(Subjects.Room(Room), BusEnvelope.Committed("x", 50, 50, 0, [ahead]));
        await intruder.PingAsync();

        nodes.Commit(a, Room, 2);
        await Eventually(() => Sequences(bob, Room).Count >= 2, "bob received the real events");
        Assert.Equal([1UL, 2UL], Sequences(bob, Room));
        Assert.DoesNotContain(bob.Received, m => m is Bye || m is RoomEvent { Sender: "mallory" });
        Assert.Null(bob.CloseCode);
    }

    [Fact]
    public void An_envelope_reads_back_what_was_written()
    {
        var chunk = new byte[] { 0, 0, 0, 1, 9 };
        var batch = BusEnvelope.ReadCommitted(BusEnvelope.Committed("node-a", 3, 7, 2, [chunk]));
        Assert.Equal(("node-a", 3UL, 7UL, 2UL), (batch.Origin, batch.First, batch.Last, batch.Epoch));
        Assert.Equal(chunk, Assert.Single(batch.Chunks));
        Assert.Equal(["01", "02"], BusEnvelope.ReadRevoked(BusEnvelope.Revoked("n", ["01", "02"])));
        Assert.Equal("@alice+bob", BusEnvelope.ReadRoomChanged(BusEnvelope.RoomChanged("n", "@alice+bob")));
        Assert.Equal("n", BusEnvelope.Origin(BusEnvelope.Transient("n", [])));
    }

    [Fact]
    public void A_batch_claiming_sequences_backwards_is_refused()
    {
        Assert.Throws<ProtocolException>(() => BusEnvelope.ReadCommitted(BusEnvelope.Committed("n", 7, 3, 0, [])));
        Assert.Throws<ProtocolException>(() => BusEnvelope.ReadCommitted(BusEnvelope.Committed("n", 0, 3, 0, [])));
    }

    [Fact]
    public void Subjects_carry_room_names_as_hex_and_parse_back()
    {
        var subjects = new ClusterSubjects("ab12");
        Assert.Equal("openchat.ab12.room.67656e6572616c", subjects.Room("general"));
        Assert.Equal((SubjectKind.Presence, "@a+b"), subjects.Parse(subjects.Presence("@a+b")));
        Assert.Equal((SubjectKind.Revoked, (string?)null), subjects.Parse("openchat.ab12.revoked"));
        Assert.Null(subjects.Parse("openchat.other.room.67"));
        Assert.Null(subjects.Parse("openchat.ab12.room.zz"));
        Assert.Throws<ArgumentException>(() => new ClusterSubjects("a.b"));
    }
}
