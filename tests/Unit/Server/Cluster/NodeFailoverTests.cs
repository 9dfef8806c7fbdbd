using System.Collections.Concurrent;
using System.Text;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>
/// Two nodes, each in its own process, on one PostgreSQL database and one nats-server: the
/// accounting Jepsen uses. Every message the sender had acknowledged is counted at the receiver:
/// none lost, none twice, in the room's order, while the sender's node is killed with SIGKILL
/// mid-stream and the sender's client moves to the other node by itself.
/// </summary>
public class NodeFailoverTests
{
    private const int Messages = 400;

    [ClusterFact]
    public async Task A_node_killed_mid_stream_loses_nothing_acknowledged_and_shows_nothing_twice()
    {
        var postgres = await PostgresServer.Shared;
        var database = await postgres.CreateDatabaseAsync();
        await using var nats = await NatsServer.StartAsync();
        using var temp = new TempDirectory();
        var pathA = temp.Combine("node-a");
        var pathB = temp.Combine("node-b");
        var nodeA = ServerChild.Start(pathA, 0, database, nats.Url);
        var portA = nodeA.Port;
        Directory.CreateDirectory(pathB);
        foreach (var file in CaDirectory.NodeFiles)
        {
            File.Copy(Path.Combine(pathA, file), Path.Combine(pathB, file));
        }

        using var nodeB = ServerChild.Start(pathB, 0, database, nats.Url);
        try
        {
            var profiles = temp.Combine("profiles");
            var invites = new InviteBook(new CaDirectory(pathA));
            var alice = await Enroll(invites, "alice", $"localhost:{portA}", profiles);
            var bob = await Enroll(invites, "bob", $"localhost:{nodeB.Port}", profiles);
            var options = new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) };
            await using var sender = await ChatClient.ConnectAsync(alice, ReadOnlyMemory<char>.Empty, options);
            await using var receiver = await ChatClient.ConnectAsync(bob, ReadOnlyMemory<char>.Empty, options);
            await sender.CreateRoomAsync("failover");
            await receiver.JoinAsync("failover");
            await LearnBothNodesAsync(sender);

            var received = new ConcurrentQueue<RoomEvent>();
            using var stop = new CancellationTokenSource();
            var reading = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var e = await receiver.ReceiveAsync(stop.Token);
                    if (e.Room == "failover" && e.Kind == EventKind.Chat)
                    {
                        received.Enqueue(e);
                    }
                }
            });

            var ids = Enumerable.Range(0, Messages).Select(_ => Guid.CreateVersion7()).ToArray();
            var acknowledged = new ConcurrentDictionary<Guid, ulong>();
            var sends = new List<Task>();
            var ackedAtKill = -1;
            for (var i = 0; i < Messages; i++)
            {
                var id = ids[i];
                sends.Add(sender.PublishAsync("failover", Encoding.UTF8.GetBytes($"m{i}"), messageId: id)
                    .ContinueWith(t => { if (t.IsCompletedSuccessfully) { acknowledged[id] = t.Result; } }, TaskScheduler.Default));
                if (i == Messages / 2)
                {
                    // Mid-stream: publishes in flight, some acknowledged, some not yet.
                    await Eventually.TrueAsync(() => acknowledged.Count >= Messages / 4, "a quarter acknowledged before the kill", 30_000);
                    nodeA.Kill();
                    ackedAtKill = acknowledged.Count;
                }
                else if (i % 16 == 0)
                {
                    await Task.Yield();
                }
            }

            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(Messages, acknowledged.Count);
            Assert.InRange(ackedAtKill, Messages / 4, Messages - 1);
            Assert.Equal($"localhost:{nodeB.Port}", sender.Server);
            await Eventually.TrueAsync(() => received.Count >= Messages, "bob receives every acknowledged message", 60_000);
            var events = received.ToArray();

            // 0 lost, 0 duplicated, order kept.
            Assert.Equal(Messages, events.Length);
            Assert.Equal(Messages, events.Select(e => e.MessageId).Distinct().Count());
            Assert.All(ids, id => Assert.Contains(events, e => e.MessageId == id));
            Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "bob's events are in sequence order");
            Assert.All(events, e => Assert.Equal(acknowledged[e.MessageId], e.Sequence));
            stop.Cancel();
            await Task.WhenAny(reading, Task.Delay(5000));

            // Node A comes back on its directory and port, catches up, and serves again.
            using var again = ServerChild.Start(pathA, portA, database, nats.Url);
            var carol = await Enroll(new InviteBook(new CaDirectory(pathA)), "carol", $"localhost:{portA}", profiles);
            await using var late = await ChatClient.ConnectAsync(carol, ReadOnlyMemory<char>.Empty, options);
            await late.JoinAsync("failover", fromSequence: 1);
            var history = new List<RoomEvent>();
            while (history.Count < Messages)
            {
                var e = await late.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                if (e.Room == "failover" && e.Kind == EventKind.Chat)
                {
                    history.Add(e);
                }
            }

            Assert.Equal(events.Select(e => e.MessageId), history.Select(e => e.MessageId));
        }
        finally
        {
            nodeA.Dispose();
        }
    }

    // A client learns the node list from the Welcome of each connection, and node A lists B only
    // once it has read B's heartbeat (every 2 s): reconnect until a Welcome named both.
    internal static async Task LearnBothNodesAsync(ChatClient client)
    {
        for (var attempt = 0; client.KnownNodes.Count < 2; attempt++)
        {
            Assert.True(attempt < 30, "the client never learned of both nodes");
            var reconnected = new TaskCompletionSource();
            void OnState(object? sender, ChatClientStateChangedEventArgs e)
            {
                if (e.State == ChatClientState.Connected)
                {
                    reconnected.TrySetResult();
                }
            }

            client.StateChanged += OnState;
            client.DropConnection();
            await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
            client.StateChanged -= OnState;
            if (client.KnownNodes.Count < 2)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static Task<ChatProfile> Enroll(InviteBook invites, string user, string server, string profiles)
    {
        var (_, code) = invites.Create(user, server: server);
        return ChatEnrollment.RegisterAsync(code.ToString(), profiles, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
    }
}
