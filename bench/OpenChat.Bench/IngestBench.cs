using System.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Bench;

/// <summary>Durable ingest: messages acknowledged per second, where an acknowledgement means the
/// message is in SQLite with synchronous=FULL (it survives a crash of the process or machine).</summary>
internal static class IngestBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var publishers = args.Int("publishers", 8);
        var messages = args.Int("messages", 100_000);
        var size = Math.Max(16, args.Int("size", 128));
        Console.WriteLine($"durable ingest: {publishers} publishers, {messages:N0} messages of {size} bytes, each acknowledged only after a synchronous=FULL commit");
        using var ca = new BenchCa();
        var identities = ca.Users("p", publishers);
        using var server = ServerProcess.Start(ca.Path);
        var clients = new List<BenchClient>();
        for (var i = 0; i < publishers; i++)
        {
            // Each publisher in its own room, so the figure is storage and not one room's fan-out.
            clients.Add(await BenchClient.ConnectAsync(server.Port, ca, identities[i], $"ingest-{i}"));
        }

        long acked = 0;
        var perPublisher = messages / publishers;
        var clock = Stopwatch.StartNew();
        var cpu0 = server.CpuTime;
        await Task.WhenAll(clients.Select((c, i) => PublishAllAsync(c, $"ingest-{i}", perPublisher, size, () => Interlocked.Increment(ref acked))));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (server.CpuTime - cpu0).TotalSeconds;
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }

        Console.WriteLine($"acknowledged {acked:N0} in {elapsed:0.00} s: {acked / elapsed:N0} messages/s (target >= 30,000/s); server cores {cpu / elapsed:0.00}");
        return 0;
    }

    private static async Task PublishAllAsync(BenchClient client, string room, int count, int size, Action onAck)
    {
        using var window = new SemaphoreSlim(2048);
        var done = new TaskCompletionSource();
        var received = 0;
        using var stop = new CancellationTokenSource();
        var reading = FrameCounter.RunAsync(client.Stream, frame =>
        {
            if (frame[0] == (byte)MessageType.Ack)
            {
                onAck();
                window.Release();
                if (++received == count)
                {
                    done.TrySetResult();
                }
            }
        }, stop.Token);
        var body = new byte[size];
        var batch = new MemoryStream();
        for (var sent = 0; sent < count;)
        {
            batch.SetLength(0);
            for (var i = 0; i < 64 && sent < count; i++, sent++)
            {
                await window.WaitAsync();
                batch.Write(new Publish((uint)sent + 10, room, Guid.CreateVersion7(), EventKind.Chat, 0, body).ToFrame());
            }

            await client.Stream.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length));
            await client.Stream.FlushAsync();
        }

        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        stop.Cancel();
        await reading;
    }
}
