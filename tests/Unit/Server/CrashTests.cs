using System.Collections.Concurrent;
using System.Text;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

public class CrashTests
{
    /// <summary>
    /// Three clients publish while the server process is killed (SIGKILL) and restarted on the
    /// same data. Every acknowledged message must be in the room exactly once, the sequence must
    /// have no gaps, and each publisher's messages must keep their order.
    /// </summary>
    [Fact]
    public async Task Killing_the_server_loses_nothing_acknowledged_and_duplicates_nothing()
    {
        using var temp = new TempDirectory();
        var data = temp.Combine("server");
        CertificateAuthority.Create(data, "Crash CA", "");
        var server = ServerChild.Start(data);
        var port = server.Port;
        var root = temp.Combine("profiles");
        var clients = new List<ChatClient>();
        try
        {
            foreach (var user in new[] { "alice", "bob", "carol" })
            {
                var (_, code) = new InviteBook(new CaDirectory(data)).Create(user, server: $"127.0.0.1:{port}");
                var profile = await ChatEnrollment.RegisterAsync(code.ToString(), root, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
                var client = await ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty,
                    new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(100), ConnectTimeout = TimeSpan.FromSeconds(5) });
                await (user == "alice" ? client.CreateRoomAsync("ops") : client.JoinAsync("ops"));
                clients.Add(client);
            }

            var acked = new ConcurrentDictionary<string, ulong>();
            var killAfter = new TaskCompletionSource();
            var stop = new CancellationTokenSource();
            const int perPublisher = 300;
            var publishers = clients.Select((client, index) => Task.Run(async () =>
            {
                var pending = new List<Task>();
                for (var i = 0; i < perPublisher; i++)
                {
                    var text = $"{client.UserName}:{i:D4}";
                    pending.Add(client.PublishAsync("ops", Encoding.UTF8.GetBytes(text)).ContinueWith(t =>
                    {
                        if (t.IsCompletedSuccessfully)
                        {
                            acked[text] = t.Result;
                            if (acked.Count >= 150)
                            {
                                killAfter.TrySetResult();
                            }
                        }
                    }, TaskScheduler.Default));
                    if (i % 10 == 0)
                    {
                        await Task.Delay(2);
                    }
                }

                await Task.WhenAll(pending);
            })).ToList();

            await killAfter.Task.WaitAsync(TimeSpan.FromSeconds(60));
            server.Kill();
            var ackedAtKill = acked.Count;
            server.Dispose();
            server = ServerChild.Start(data, port);

            await Task.WhenAll(publishers).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(ackedAtKill < 3 * perPublisher, "the kill should happen while messages are still in flight");
            Assert.Equal(3 * perPublisher, acked.Count);

            // Read the whole room back from the restarted server with a fresh session.
            var (_, readerCode) = new InviteBook(new CaDirectory(data)).Create("auditor", server: $"127.0.0.1:{port}");
            var readerProfile = await ChatEnrollment.RegisterAsync(readerCode.ToString(), root, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
            await using var reader = await ChatClient.ConnectAsync(readerProfile, ReadOnlyMemory<char>.Empty, new ChatClientOptions { PersistState = false });
            await reader.JoinAsync("ops", fromSequence: 1);
            var events = new List<OpenChat.Engine.Protocol.RoomEvent>();
            while (events.Count < acked.Count)
            {
                events.Add(await Eventually.NextAsync(reader));
            }

            Assert.False(reader.TryReceive(out _), "no extra events beyond the acknowledged ones");
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (ulong)i), events.Select(e => e.Sequence));
            var texts = events.Select(e => Encoding.UTF8.GetString(e.Body)).ToList();
            Assert.Equal(texts.Count, texts.Distinct().Count());
            foreach (var (text, sequence) in acked)
            {
                Assert.Equal(text, texts[(int)sequence - 1]);
            }

            foreach (var user in new[] { "alice", "bob", "carol" })
            {
                var own = texts.Where(t => t.StartsWith(user + ":", StringComparison.Ordinal)).ToList();
                Assert.Equal(own.Order(StringComparer.Ordinal), own);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            server.Dispose();
        }
    }
}
