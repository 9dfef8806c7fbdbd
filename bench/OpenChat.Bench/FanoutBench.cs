using System.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Bench;

/// <summary>
/// Messages delivered per second through one room of N members with P publishers, and
/// end-to-end latency at half the maximum rate; the same run measures a raw SslStream fan-out
/// (no protocol, no storage) as the limit, and prints the ratio.
/// </summary>
internal static class FanoutBench
{
    private const string Room = "bench";

    /// <param name="EngineCores">Cores the engines the servers use took (PostgreSQL, nats-server); 0 without.</param>
    /// <param name="MachineCores">Cores the whole machine was busy, load generator included; 0 where not measured.</param>
    /// <param name="NodeLatency">With several servers, the latency of each one's receivers alone.</param>
    /// <param name="P99Ms">The 99th percentile of the latency samples, in milliseconds (NaN without samples).</param>
    public sealed record Result(double DeliveriesPerSecond, double PublishesPerSecond, double ServerCores, string Latency, double EngineCores = 0, double MachineCores = 0,
        IReadOnlyList<string>? NodeLatency = null)
    {
        public double P99Ms { get; init; } = double.NaN;
    }

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var members = args.Int("members", 100);
        var publishers = args.Int("publishers", 1);
        var size = Math.Max(16, args.Int("size", 128));
        var seconds = args.Int("seconds", 10);
        var window = args.Int("window", 4096);
        // Long enough for tiered JIT to settle in a freshly started server: steady state is what a server lives in.
        var warmup = args.Int("warmup", 3);
        Console.WriteLine($"fan-out: room of {members} receivers, {publishers} publisher(s), {size}-byte bodies, {warmup} s warm-up and {seconds} s measured per phase, {Environment.ProcessorCount} cores");

        using var ca = new BenchCa();
        var identities = ca.Users("m", members + publishers);

        // A fixed offered rate instead of the maximum: the latency a user lives with at that load,
        // OpenChat and raw alternately, so a drift of the machine shows in both.
        var fixedRate = args.Int("rate", 0);
        if (fixedRate > 0)
        {
            await FixedRateAsync(ca, identities, members, publishers, size, seconds, warmup, fixedRate, window, Math.Max(1, args.Int("repeat", 1)));
            return 0;
        }

        Result openChatMax, rawMax, openChatHalf, rawHalf;
        using (var server = ServerProcess.Start(ca.Path))
        {
            var cpu = new CpuMeter(() => server.CpuTime);
            openChatMax = await OpenChatPhaseAsync([server.Port], cpu, ca, identities, members, publishers, size, seconds, warmup, rate: 0, window);
            Report("openchat, max rate", openChatMax);
            openChatHalf = await OpenChatPhaseAsync([server.Port], cpu, ca, identities, members, publishers, size, seconds, warmup, rate: openChatMax.PublishesPerSecond / 2, window);
            Report("openchat, half rate", openChatHalf);
        }

        using (var raw = RawFanoutServer.Start(ca))
        {
            rawMax = await RawFanoutServer.PhaseAsync(raw, members, publishers, size, seconds, warmup, rate: 0);
            Report("raw sslstream, max rate", rawMax);
            rawHalf = await RawFanoutServer.PhaseAsync(raw, members, publishers, size, seconds, warmup, rate: rawMax.PublishesPerSecond / 2);
            Report("raw sslstream, half rate", rawHalf);
        }

        Console.WriteLine($"ratio openchat/raw deliveries/s: {openChatMax.DeliveriesPerSecond / rawMax.DeliveriesPerSecond:P1} (target >= 50 %)");
        return 0;
    }

    private static async Task FixedRateAsync(BenchCa ca, List<System.Security.Cryptography.X509Certificates.X509Certificate2> identities,
        int members, int publishers, int size, int seconds, int warmup, int rate, int window, int repeat)
    {
        Console.WriteLine($"fixed offered rate: {rate:N0} publishes/s ({(long)rate * members:N0} deliveries/s), {repeat} round(s), OpenChat then raw (each server in its own process) in each");
        var firstFsync99 = Peers.FsyncProbe.MeasureAndPrint("disk");
        Peers.FsyncProbe.MeasureCommitSizedAndPrint("disk");
        // Both servers in processes of their own, neither sharing a thread pool with the load. The
        // OpenChat server has its metrics on (the commit stage is read from them), as a deployment would.
        using var server = ServerProcess.Start(ca.Path, 0, "--metrics");
        using var raw = ServerProcess.StartRaw(ca);
        var cpu = new CpuMeter(() => server.CpuTime);
        var rawCpu = new CpuMeter(() => raw.CpuTime);
        for (var round = 1; round <= repeat; round++)
        {
            // The commit counts cover the warm-up as well as the measured seconds.
            var before = await CommitStage.ReadAsync(server.MetricsPort);
            var written = server.DiskWriteBytes;
            var scheduled = ThreadSchedule.Read(server.ProcessId);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = await OpenChatPhaseAsync([server.Port], cpu, ca, identities, members, publishers, size, seconds, warmup, rate, window);
            var scheduledAfter = ThreadSchedule.Read(server.ProcessId);
            var elapsed = clock.Elapsed;
            Report($"openchat, round {round}", result);
            var writtenAfter = server.DiskWriteBytes;
            var after = await CommitStage.ReadAsync(server.MetricsPort);
            Console.WriteLine($"  {CommitStage.Describe(before, after, written > 0 && writtenAfter > 0 ? writtenAfter - written : 0)}");
            ThreadSchedule.Print(scheduled, scheduledAfter, CommitStage.Commits(before, after), elapsed);
            var rawScheduled = ThreadSchedule.Read(raw.ProcessId);
            clock.Restart();
            var baseline = await RawFanoutServer.PhaseAsync(raw.Port, rawCpu, null, members, publishers, size, seconds, warmup, rate);
            var rawScheduledAfter = ThreadSchedule.Read(raw.ProcessId);
            Report($"raw sslstream (own process), round {round}", baseline);
            ThreadSchedule.Print(rawScheduled, rawScheduledAfter, 0, clock.Elapsed);
            // A durable message can wait for the commit in flight, then its own: raw plus two fsyncs,
            // of the lower of the run's first probe and one just after the round.
            var fsync99 = Math.Min(firstFsync99, Peers.FsyncProbe.MeasureAndPrint("  disk again"));
            var floor = baseline.P99Ms + 2 * fsync99;
            var verdict = double.IsNaN(result.P99Ms) || double.IsNaN(floor) ? "no samples" : result.P99Ms <= floor ? "within" : "over";
            Console.WriteLine($"  p99: openchat {result.P99Ms:0.00} ms against raw + 2 fsync p99 (the lower probe's) = {floor:0.00} ms: {verdict}");
        }
    }

    internal static void Report(string name, Result r) =>
        Console.WriteLine($"{name,-26} deliveries/s {r.DeliveriesPerSecond,12:N0}   publishes/s {r.PublishesPerSecond,10:N0}   server cores {r.ServerCores:0.00}{Engines(r)}   latency {r.Latency}");

    private static string Engines(Result r) => r.MachineCores > 0 ? $" (engines {r.EngineCores:0.00}, machine {r.MachineCores:0.00})" : "";

    /// <summary>The bytes OpenChat carried per delivery in the last phase, besides the 4-byte
    /// length prefix that raw frames have too: the Event frame and its share of the chunk's
    /// EventSource frames (with their prefixes).</summary>
    internal static volatile int EventPayloadBytes;

    /// <summary>One phase against the servers listening on <paramref name="ports"/>: receiver i and
    /// publisher i connect to the (i mod n)-th, so with several nodes the room spans them all.</summary>
    internal static async Task<Result> OpenChatPhaseAsync(IReadOnlyList<int> ports, CpuMeter meter, BenchCa ca, List<System.Security.Cryptography.X509Certificates.X509Certificate2> identities,
        int members, int publishers, int size, int seconds, int warmup, double rate, int window)
    {
        var receivers = new List<BenchClient>();
        for (var i = 0; i < members; i++)
        {
            receivers.Add(await BenchClient.ConnectAsync(ports[i % ports.Count], ca, identities[i], Room));
        }

        var senders = new List<BenchClient>();
        for (var i = 0; i < publishers; i++)
        {
            senders.Add(await BenchClient.ConnectAsync(ports[i % ports.Count], ca, identities[members + i], Room));
        }

        var counters = new PhaseCounters();
        var nodeLatency = ports.Select(_ => new Latency()).ToArray();
        using var stop = new CancellationTokenSource();
        // Per receiver: bytes of Event and EventSource frames, and events (each read on one task).
        var carried = receivers.Select(_ => new long[2]).ToArray();
        var reading = receivers.Select((c, index) => FrameCounter.RunAsync(c.Stream, frame =>
        {
            if (frame[0] == (byte)MessageType.EventSource)
            {
                carried[index][0] += 4 + frame.Length;
            }
            else if (frame[0] == (byte)MessageType.Event)
            {
                carried[index][0] += frame.Length;
                carried[index][1]++;
                if (counters.Delivered())
                {
                    var stamp = BenchClient.StampOfEvent(frame);
                    counters.Latency.Add(stamp);
                    nodeLatency[index % ports.Count].Add(stamp);
                }
            }
        }, stop.Token)).ToList();

        var publishing = senders.Select(s => PublishAsync(s, size, rate / publishers, window, () => counters.Published(), stop.Token)).ToList();
        var measured = await counters.MeasureAsync(warmup, seconds, meter);
        stop.Cancel();
        foreach (var c in receivers.Concat(senders))
        {
            await c.DisposeAsync();
        }

        await Task.WhenAll(reading.Concat(publishing).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        var events = carried.Sum(c => c[1]);
        if (events > 0)
        {
            EventPayloadBytes = (int)Math.Round((double)carried.Sum(c => c[0]) / events);
        }

        return counters.Result(measured, measured.Cores.Servers) with
        {
            EngineCores = measured.Cores.Engines,
            MachineCores = measured.Cores.Machine,
            NodeLatency = ports.Count > 1 ? [.. nodeLatency.Select(l => l.Summary())] : null,
        };
    }

    /// <summary>Publishes with at most a window of unacknowledged messages; with a rate, paces to it.</summary>
    private static async Task PublishAsync(BenchClient client, int size, double rate, int windowSize, Action onAck, CancellationToken stop)
    {
        using var window = new SemaphoreSlim(windowSize);
        var acks = FrameCounter.RunAsync(client.Stream, frame =>
        {
            if (frame[0] == (byte)MessageType.Ack)
            {
                onAck();
                window.Release();
            }
        }, stop);

        var body = new byte[size];
        var batch = new MemoryStream();
        var pacer = new RatePacer(rate);
        uint tag = 10;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                batch.SetLength(0);
                var count = await pacer.NextAsync(stop);
                for (var i = 0; i < count; i++)
                {
                    await window.WaitAsync(stop);
                    BitConverter.TryWriteBytes(body, Latency.Stamp());
                    batch.Write(new Publish(tag++, Room, Guid.CreateVersion7(), EventKind.Chat, 0, body).ToFrame());
                }

                await client.Stream.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), stop);
                await client.Stream.FlushAsync(stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }

        await acks;
    }
}
