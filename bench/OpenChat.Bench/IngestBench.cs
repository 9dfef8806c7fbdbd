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
        var result = await MeasureAsync([server.Port], new CpuMeter(() => server.CpuTime), ca, identities, messages / publishers, size);
        Console.WriteLine($"acknowledged {result.Acknowledged:N0} in {result.Seconds:0.00} s: {result.PerSecond:N0} messages/s (target >= 30,000/s); server cores {result.ServerCores:0.00}");
        return 0;
    }

    /// <param name="PerSecond">Acknowledged messages per second.</param>
    /// <param name="EngineCores">Cores of PostgreSQL and nats-server, where the servers use them.</param>
    /// <param name="MachineCores">Cores the whole machine was busy, load generator included.</param>
    public sealed record Result(long Acknowledged, double Seconds, double PerSecond, double ServerCores, double EngineCores, double MachineCores);

    /// <summary>Each identity publishes <paramref name="perPublisher"/> messages into a room of its
    /// own on the (i mod n)-th of <paramref name="ports"/>, and waits for every acknowledgement.</summary>
    public static async Task<Result> MeasureAsync(IReadOnlyList<int> ports, CpuMeter meter, BenchCa ca,
        List<System.Security.Cryptography.X509Certificates.X509Certificate2> identities, int perPublisher, int size)
    {
        var clients = new List<BenchClient>();
        for (var i = 0; i < identities.Count; i++)
        {
            // Each publisher in its own room, so the figure is storage and not one room's fan-out.
            clients.Add(await BenchClient.ConnectAsync(ports[i % ports.Count], ca, identities[i], $"ingest-{i}"));
        }

        long acked = 0;
        var clock = Stopwatch.StartNew();
        var cpu0 = meter.Take();
        await Task.WhenAll(clients.Select((c, i) => PublishAllAsync(c, $"ingest-{i}", perPublisher, size, () => Interlocked.Increment(ref acked))));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cores = CpuMeter.Cores(cpu0, meter.Take(), elapsed);
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }

        return new Result(acked, elapsed, acked / elapsed, cores.Servers, cores.Engines, cores.Machine);
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
