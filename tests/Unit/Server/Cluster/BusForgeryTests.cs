using NATS.Client.Core;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Server.Cluster;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using static OpenChat.Tests.Unit.Server.Cluster.ClusterNodes;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>Anyone on the NATS network can publish: what no node of the deployment tagged is
/// refused, and what is malformed or not what it claims never reaches a client, and does not move
/// a room's delivery, even with the deployment's tag.</summary>
public sealed class BusForgeryTests
{
    private const string Room = "general";

    [NatsFact]
    public async Task Malformed_and_mismatched_batches_on_the_bus_are_dropped_and_real_ones_still_arrive_in_order()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var (a, _, bob) = await nodes.TwoNodesFollowingAsync(nats.Url, Room);
        await using var intruder = new NatsConnection(new NatsOpts { Url = nats.Url });
        await intruder.ConnectAsync();

        var forged = new RoomEvent(Room, 1, Guid.NewGuid(), "mallory", "66", EventKind.Chat, 0, DateTimeOffset.UtcNow, [1]).Chunk();
        var bye = new Bye(ErrorIds.CertificateRevoked, "forged").ToFrame();
        // Tagged with the deployment's key, as a node with a bug would send them: the tag says who
        // sent a message, not that it is right, so decoding checks it all the same.
        var room = Subjects.Room(Room);
        var presence = Subjects.Presence(Room);
        // Garbage; a batch claiming sequences its events do not have; another frame type as an event.
        await intruder.PublishAsync(room, Authenticator.Seal(room, [1, 2, 3]));
        await intruder.PublishAsync(room, Authenticator.Seal(room, BusEnvelope.Committed("x", 1, 1000, 0, [forged])));
        await intruder.PublishAsync(room, Authenticator.Seal(room, BusEnvelope.Committed("x", 1, 1, 0, [bye])));
        await intruder.PublishAsync(presence, Authenticator.Seal(presence, BusEnvelope.Transient("x", [bye])));
        // A well-formed claim of events the store does not hold: the gap cannot be read, so nothing moves.
        var ahead = new RoomEvent(Room, 50, Guid.NewGuid(), "mallory", "66", EventKind.Chat, 0, DateTimeOffset.UtcNow, [1]).Chunk();
        await intruder.PublishAsync(room, Authenticator.Seal(room, BusEnvelope.Committed("x", 50, 50, 0, [ahead])));
        // Untagged, it is refused before it is read.
        await intruder.PublishAsync(room, new byte[] { 1, 2, 3 });
        await intruder.PingAsync();

        nodes.Commit(a, Room, 2);
        await Eventually(() => Sequences(bob, Room).Count >= 2, "bob received the real events");
        Assert.Equal([1UL, 2UL], Sequences(bob, Room));
        Assert.DoesNotContain(bob.Received, m => m is Bye || m is RoomEvent { Sender: "mallory" });
        Assert.Null(bob.CloseCode);
    }

    [NatsFact]
    public async Task A_batch_for_the_next_sequence_without_the_deployments_tag_never_takes_the_real_events_place()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var (a, _, bob) = await nodes.TwoNodesFollowingAsync(nats.Url, Room);
        await using var intruder = new NatsConnection(new NatsOpts { Url = nats.Url });
        await intruder.ConnectAsync();

        // Well formed in every other way: the room's next sequence, a chat event, the right epoch.
        byte[] Forged(ulong sequence) => BusEnvelope.Committed("x", sequence, sequence, 0,
            [new RoomEvent(Room, sequence, Guid.NewGuid(), "mallory", "66", EventKind.Chat, 0, DateTimeOffset.UtcNow, [9]).Chunk()]);
        var subject = Subjects.Room(Room);
        await intruder.PublishAsync(subject, Forged(1));
        await intruder.PublishAsync(subject, new BusAuthenticator(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).Seal(subject, Forged(1)));
        await intruder.PublishAsync(subject, Authenticator.Seal(Subjects.Presence(Room), Forged(1)));
        await intruder.PingAsync();

        nodes.Commit(a, Room, 1);
        await Eventually(() => Sequences(bob, Room).Count >= 1, "bob received the real event");
        var first = Assert.Single(bob.Received.OfType<RoomEvent>());
        Assert.Equal((1UL, "alice"), (first.Sequence, first.Sender));

        // Control: the same forgery with the deployment's tag is taken, so the tag is what kept it out.
        await intruder.PublishAsync(subject, Authenticator.Seal(subject, Forged(2)));
        await Eventually(() => Sequences(bob, Room).Count >= 2, "the tagged forgery arrived");
        Assert.Equal("mallory", bob.Received.OfType<RoomEvent>().Last().Sender);
    }

    [NatsFact]
    public async Task A_revocation_notice_reaches_the_node_only_with_the_deployments_tag()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var b = nodes.Start("b", nats.Url);
        await Eventually(() => b.Bus.BusSubjects.Contains(Subjects.Revoked), "node b subscribed");
        await using var intruder = new NatsConnection(new NatsOpts { Url = nats.Url });
        await intruder.ConnectAsync();

        await intruder.PublishAsync(Subjects.Revoked, BusEnvelope.Revoked("x", ["0A"]));
        await intruder.PublishAsync(Subjects.Revoked, Authenticator.Seal(Subjects.Rooms, BusEnvelope.Revoked("x", ["0B"])));
        await intruder.PublishAsync(Subjects.Revoked, Authenticator.Seal(Subjects.Revoked, BusEnvelope.Revoked("x", ["0C"])));

        // The tagged one is handed to the node (which then asks its store); the others never are.
        await Eventually(() => b.Host.RevokedSerials.Contains("0C"), "the tagged notice arrived");
        Assert.Equal(["0C"], b.Host.RevokedSerials);
    }

    [NatsFact]
    public async Task A_presence_change_replayed_later_is_refused_and_a_fresh_one_arrives()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var nodes = new ClusterNodes();
        nodes.CreateRoom(Room);
        var b = nodes.Start("b", nats.Url);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(Room, bob);
        await Eventually(() => b.Bus.BusSubjects.Contains(Subjects.Presence(Room)), "node b subscribed");
        await using var intruder = new NatsConnection(new NatsOpts { Url = nats.Url });
        await intruder.ConnectAsync();
        var subject = Subjects.Presence(Room);
        byte[] Sealed(DateTimeOffset at, string user) =>
            Authenticator.Seal(subject, BusEnvelope.Transient("x", [new Presence(Room, user, true, at).ToFrame()]));

        // A real node's message, captured and sent again ten minutes later.
        await intruder.PublishAsync(subject, Sealed(DateTimeOffset.UtcNow.AddMinutes(-10), "carol"));
        await intruder.PublishAsync(subject, Sealed(DateTimeOffset.UtcNow, "dave"));

        await Eventually(() => bob.Received.OfType<Presence>().Any(), "the fresh presence arrived");
        Assert.Equal(["dave"], bob.Received.OfType<Presence>().Select(p => p.UserName));
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
