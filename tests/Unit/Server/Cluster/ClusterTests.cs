using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>Two nodes in this process on one PostgreSQL database, with and without NATS: what a
/// team on two nodes lives through.</summary>
public class ClusterTests
{
    [ClusterFact]
    public async Task Users_on_different_nodes_read_everything_the_other_sends()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        await ExchangeAsync(cluster, "bus-room", 50);
        Assert.True(cluster.Node(1).ClusterBus!.BatchesFromBus > 0, "node B had alice's messages from the bus");
    }

    [PostgresFact]
    public async Task Without_a_backplane_nodes_deliver_through_the_database()
    {
        await using var cluster = await ClusterHarness.StartAsync(backplane: false);
        await ExchangeAsync(cluster, "db-room", 20);
        Assert.Equal(0, cluster.Node(1).ClusterBus!.BatchesFromBus);
        Assert.True(cluster.Node(1).ClusterBus!.EventsFromStore > 0);
    }

    [ClusterFact]
    public async Task A_user_joining_on_a_node_nobody_there_follows_the_room_on_gets_its_whole_history()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        var alice = await cluster.UserAsync("alice", node: 0);
        await alice.CreateRoomAsync("quiet");
        // Node B hears of the room (it was announced) but has nobody in it while alice talks.
        var sent = new List<ulong>();
        for (var i = 0; i < 10; i++)
        {
            sent.Add(await alice.PublishAsync("quiet", Encoding.UTF8.GetBytes($"m{i}")));
        }

        var bob = await cluster.UserAsync("bob", node: 1);
        var joined = await bob.JoinAsync("quiet", fromSequence: 1);
        Assert.Equal(sent[^1], joined.LastSequence);
        var seen = new List<ulong>();
        while (seen.Count < sent.Count)
        {
            var e = await bob.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (e.Room == "quiet" && e.Kind == EventKind.Chat)
            {
                seen.Add(e.Sequence);
            }
        }

        Assert.Equal(sent, seen);
    }

    [ClusterFact]
    public async Task The_welcome_lists_every_live_node_and_a_stopped_node_leaves_the_list()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        await Eventually.TrueAsync(() => cluster.Node(0).Nodes.Count == 2 && cluster.Node(1).Nodes.Count == 2, "each node lists both", 15_000);
        Assert.Equal(cluster.Address(0), cluster.Node(0).Nodes[0]);
        Assert.Equal([cluster.Address(1), cluster.Address(0)], cluster.Node(1).Nodes);

        var alice = await cluster.UserAsync("alice");
        await NodeFailoverTests.LearnBothNodesAsync(alice);
        Assert.Equal([cluster.Address(0), cluster.Address(1)], alice.KnownNodes);

        await cluster.StopNodeAsync(1);
        await Eventually.TrueAsync(() => cluster.Node(0).Nodes.Count == 1, "node A drops the stopped node", 15_000);
    }

    [ClusterFact]
    public async Task A_user_revoked_through_one_node_is_disconnected_from_the_other_within_a_second()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        var bob = await cluster.UserAsync("bob", node: 1);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.StateChanged += (_, e) =>
        {
            if (e.State == ChatClientState.Closed)
            {
                closed.TrySetResult(e.Reason);
            }
        };

        new CertificateRegistry(cluster.Ca(0)).Revoke(bob.Identity.SerialNumber);
        var started = Environment.TickCount64;
        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var took = Environment.TickCount64 - started;

        Assert.Equal(ErrorIds.CertificateRevoked, reason);
        Assert.True(took <= 1000, $"bob's connection on node B closed {took} ms after the revocation on node A's CA");
    }

    [ClusterFact]
    public async Task A_revocation_forged_on_the_bus_closes_nobody_even_with_the_deployments_bus_key()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        var bob = await cluster.UserAsync("bob", node: 1);
        var clusterId = OpenChat.Engine.Server.Cluster.ClusterSetup.ClusterId(cluster.Ca(0));
        var subjects = new OpenChat.Engine.Server.Cluster.ClusterSubjects(clusterId);
        // The key of the nodes themselves (from the server key every node holds): a node holding it
        // is still not believed about a revocation; the store is asked.
        using var serverKey = System.Security.Cryptography.ECDsa.Create();
        serverKey.ImportFromPem(File.ReadAllText(cluster.Ca(0).ServerKeyPath));
        var authenticator = OpenChat.Engine.Server.Cluster.BusAuthenticator.FromServerKey(serverKey, clusterId);
        var forged = OpenChat.Engine.Server.Cluster.BusEnvelope.Revoked("forger", [bob.Identity.SerialNumber.ToUpperInvariant()]);
        await using (var forger = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = cluster.Nats!.Url }))
        {
            await forger.PublishAsync(subjects.Revoked, forged);
            await forger.PublishAsync(subjects.Revoked, authenticator.Seal(subjects.Revoked, forged));
            await forger.PingAsync();
        }

        // Control: a real revocation, announced on the same bus, closes bob at once.
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.StateChanged += (_, e) =>
        {
            if (e.State == ChatClientState.Closed)
            {
                closed.TrySetResult(e.Reason);
            }
        };

        await bob.CreateRoomAsync("forgery");
        Assert.True(await bob.PublishAsync("forgery", Encoding.UTF8.GetBytes("still here")) > 0);
        Assert.Equal(ChatClientState.Connected, bob.State);
        new CertificateRegistry(cluster.Ca(0)).Revoke(bob.Identity.SerialNumber);
        Assert.Equal(ErrorIds.CertificateRevoked, await closed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [ClusterFact]
    public async Task An_invite_redeemed_on_two_nodes_at_the_same_moment_enrolls_once()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        using var temp = new TempDirectory();
        var code = cluster.Invite("carol", 0, 1);
        var viaA = code;
        var viaB = InviteCode.Parse(code) is var parsed ? (parsed with { Server = cluster.Address(1), OtherServers = [] }).ToString() : code;

        var attempts = await Task.WhenAll(
            Attempt(() => ChatEnrollment.RegisterAsync(viaA, temp.Combine("a"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None)),
            Attempt(() => ChatEnrollment.RegisterAsync(viaB, temp.Combine("b"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None)));

        Assert.Single(attempts, a => a is null);
        Assert.Single(attempts, a => a is OpenChatException { ErrorId: ErrorIds.InviteAlreadyRedeemed });
    }

    [ClusterFact]
    public async Task Delivery_between_nodes_goes_on_while_nats_is_down_and_returns_to_the_bus()
    {
        await using var cluster = await ClusterHarness.StartAsync();
        var (alice, bob) = await PairAsync(cluster, "nats-room");
        await SendAndReadAsync(alice, bob, "nats-room", "before");

        cluster.Nats!.Stop();
        await Eventually.TrueAsync(() => !cluster.Node(1).ClusterBus!.IsBusUp, "node B sees the bus down");
        var fromStore = cluster.Node(1).ClusterBus!.EventsFromStore;
        await SendAndReadAsync(alice, bob, "nats-room", "while down");
        Assert.True(cluster.Node(1).ClusterBus!.EventsFromStore > fromStore, "read from the database while the bus was down");

        await cluster.Nats.RestartAsync();
        await Eventually.TrueAsync(() => cluster.Node(0).ClusterBus!.IsBusUp && cluster.Node(1).ClusterBus!.IsBusUp, "both nodes back on the bus", 20_000);
        var fromBus = cluster.Node(1).ClusterBus!.BatchesFromBus;
        await Eventually.TrueAsync(() =>
        {
            alice.PublishAsync("nats-room", Encoding.UTF8.GetBytes("after")).Wait();
            return cluster.Node(1).ClusterBus!.BatchesFromBus > fromBus;
        }, "node B gets events from the bus again", 20_000);
    }

    [ClusterFact]
    public async Task While_postgres_is_down_publishes_are_refused_clearly_and_nothing_acknowledged_is_lost()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var cluster = await ClusterHarness.StartAsync(ownPostgres: postgres);
        var log = new RecordingLoggerFactory();
        var alice = await cluster.ConnectAsync(await cluster.EnrollAsync("alice", 0),
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), LoggerFactory = log });
        await alice.CreateRoomAsync("pg-room");
        var acknowledged = new List<ulong>();
        for (var i = 0; i < 5; i++)
        {
            acknowledged.Add(await alice.PublishAsync("pg-room", Encoding.UTF8.GetBytes($"before {i}")));
        }

        postgres.Stop();
        // The node answers StoreUnavailable ("not stored, resend later"); the client keeps the
        // message in its outbox and resends it with the same id until a node stores it.
        var whileDown = alice.PublishAsync("pg-room", Encoding.UTF8.GetBytes("while down"));
        await Eventually.TrueAsync(() => log.Events.Any(e => e.EventId == 2010 && e.Message.Contains(ErrorIds.StoreUnavailable, StringComparison.Ordinal)),
            "the node refused the publish with StoreUnavailable", 30_000);
        Assert.False(whileDown.IsCompleted, "nothing is acknowledged while the database is down");

        await postgres.RestartAsync();
        acknowledged.Add(await whileDown.WaitAsync(TimeSpan.FromSeconds(60)));
        acknowledged.Add(await alice.PublishAsync("pg-room", Encoding.UTF8.GetBytes("after")).WaitAsync(TimeSpan.FromSeconds(30)));

        var carol = await cluster.UserAsync("carol", node: 1);
        await carol.JoinAsync("pg-room", fromSequence: 1);
        var seen = new List<ulong>();
        while (seen.Count < acknowledged.Count)
        {
            var e = await carol.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (e.Room == "pg-room" && e.Kind == EventKind.Chat)
            {
                seen.Add(e.Sequence);
            }
        }

        Assert.Equal(acknowledged, seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [ClusterFact]
    public async Task A_client_that_reconnects_while_postgres_is_down_waits_for_it_instead_of_giving_up()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var cluster = await ClusterHarness.StartAsync(ownPostgres: postgres);
        var alice = await cluster.UserAsync("alice", node: 0);
        await alice.CreateRoomAsync("outage");
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.StateChanged += (_, e) =>
        {
            if (e.State == ChatClientState.Closed)
            {
                closed.TrySetResult(e.Reason);
            }
        };

        postgres.Stop();
        // The nodes cannot look up her certificate now: each handshake ends in a goodbye saying so.
        alice.DropConnection();
        await Eventually.TrueAsync(() => alice.State == ChatClientState.Reconnecting, "alice's client reconnecting");
        var gaveUp = await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.NotSame(closed.Task, gaveUp);

        await postgres.RestartAsync();
        await Eventually.TrueAsync(() => alice.State == ChatClientState.Connected, "alice connected again once PostgreSQL is back", 30_000);
        Assert.True(await alice.PublishAsync("outage", Encoding.UTF8.GetBytes("back")).WaitAsync(TimeSpan.FromSeconds(30)) > 0);
        Assert.False(closed.Task.IsCompleted);
    }

    [PostgresFact]
    public async Task A_database_that_has_a_ca_is_never_given_a_second_one()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 1, backplane: false);
        using var temp = new TempDirectory();

        var bare = await Assert.ThrowsAsync<OpenChatException>(() =>
            OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("bare"), new ChatServerOptions { Port = 0, Database = cluster.Database }));
        Assert.Equal(ErrorIds.CaNotFound, bare.ErrorId);
        Assert.False(File.Exists(temp.Combine("bare", CaDirectory.KeyFile)), "no CA key was made for the bare directory");

        CertificateAuthority.Create(temp.Combine("other"), "Other CA", "");
        var other = await Assert.ThrowsAsync<OpenChatException>(() =>
            OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("other"), new ChatServerOptions { Port = 0, Database = cluster.Database }));
        Assert.Equal(ErrorIds.CaAlreadyExists, other.ErrorId);
    }

    [PostgresFact]
    public async Task A_further_node_without_the_server_key_of_the_others_is_refused_and_makes_none()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 1, backplane: false);
        using var temp = new TempDirectory();
        var half = temp.Combine("half");
        Directory.CreateDirectory(half);
        foreach (var file in new[] { CaDirectory.CertificateFile, CaDirectory.KeyFile })
        {
            File.Copy(Path.Combine(cluster.Ca(0).Path, file), Path.Combine(half, file));
        }

        var refused = await Assert.ThrowsAsync<OpenChatException>(() =>
            OpenChat.Engine.Server.ChatServer.StartAsync(half, new ChatServerOptions { Port = 0, Database = cluster.Database }));

        Assert.Equal(ErrorIds.InvalidClusterSettings, refused.ErrorId);
        Assert.Contains(CaDirectory.ServerKeyFile, refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(half, CaDirectory.ServerKeyFile)), "no server key was made");

        // Control: with the server files copied too, the same directory starts.
        foreach (var file in new[] { CaDirectory.ServerCertificateFile, CaDirectory.ServerKeyFile })
        {
            File.Copy(Path.Combine(cluster.Ca(0).Path, file), Path.Combine(half, file));
        }

        await using var node = await OpenChat.Engine.Server.ChatServer.StartAsync(half, new ChatServerOptions { Port = 0, Database = cluster.Database });
        Assert.Equal(OpenChat.Engine.Server.ChatServerState.Running, node.State);
    }

    [Fact]
    public async Task A_backplane_without_a_database_or_a_url_that_is_not_nats_is_refused()
    {
        using var temp = new TempDirectory();
        var alone = await Assert.ThrowsAsync<OpenChatException>(() =>
            OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("a"), new ChatServerOptions { Port = 0, Backplane = "nats://127.0.0.1:4222" }));
        Assert.Equal(ErrorIds.InvalidClusterSettings, alone.ErrorId);

        var notNats = await Assert.ThrowsAsync<OpenChatException>(() =>
            OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("b"), new ChatServerOptions { Port = 0, Database = "Host=127.0.0.1;Database=x", Backplane = "http://127.0.0.1:4222" }));
        Assert.Equal(ErrorIds.InvalidClusterSettings, notNats.ErrorId);
        Assert.False(Directory.Exists(temp.Combine("a")) && File.Exists(temp.Combine("a", CaDirectory.KeyFile)));
    }

    private static async Task ExchangeAsync(ClusterHarness cluster, string room, int count)
    {
        var (alice, bob) = await PairAsync(cluster, room);
        for (var i = 0; i < count; i++)
        {
            await SendAndReadAsync(alice, bob, room, $"a{i}");
            await SendAndReadAsync(bob, alice, room, $"b{i}");
        }
    }

    private static async Task<(ChatClient Alice, ChatClient Bob)> PairAsync(ClusterHarness cluster, string room)
    {
        var alice = await cluster.UserAsync("alice", node: 0);
        var bob = await cluster.UserAsync("bob", node: 1);
        await alice.CreateRoomAsync(room);
        await bob.JoinAsync(room);
        return (alice, bob);
    }

    private static async Task SendAndReadAsync(ChatClient from, ChatClient to, string room, string text)
    {
        var sequence = await from.PublishAsync(room, Encoding.UTF8.GetBytes(text));
        while (true)
        {
            var e = await to.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (e.Room == room && e.Kind == EventKind.Chat && e.Sequence == sequence)
            {
                Assert.Equal(text, Encoding.UTF8.GetString(e.Body));
                return;
            }
        }
    }

    private static async Task<Exception?> Attempt(Func<Task> enroll)
    {
        try
        {
            await enroll();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
