using System.Globalization;

namespace OpenChat.Bench.Peers;

/// <summary>
/// OpenChat against its peers in one run: for each room size, the highest rate each fan-out
/// holds by <see cref="RateSearch"/>'s criterion, found with the same load generator; then each
/// one's latency at half that rate, next to the disk's fsync latency (the floor of a durable
/// server: a message may wait for the commit in flight, then for its own).
/// </summary>
internal static class PeersBench
{
    private sealed record Row(int Room, string Peer, RateSearch.Probe? Best, FanoutBench.Result? Half, int Probes);

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var rooms = (args.String("rooms") ?? "10,100,1000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToList();
        var peers = (args.String("peers") ?? "openchat,raw,nats,ngircd").Split(',');
        var size = Math.Max(16, args.Int("size", 128));
        var seconds = args.Int("seconds", 4);
        var warmup = args.Int("warmup", 2);
        var bisections = args.Int("bisections", 3);
        var window = args.Int("window", 4096);
        // Publishers per room, each with its share of the rate on its own connection: one
        // connection's input can be what a server paces (ngIRCd does), not its fan-out.
        var publishers = Math.Max(1, args.Int("publishers", 1));
        // Deliveries/s the search starts from (divided by the room's size for the publish rate).
        var startDeliveries = args.Int("start", 50_000);
        Console.WriteLine($"peers: rooms of {string.Join(", ", rooms)} receivers, {publishers} publisher(s), {size}-byte bodies, {warmup} s warm-up and {seconds} s measured per probe, {Environment.ProcessorCount} cores");
        Console.WriteLine($"criterion: >= {RateSearch.MinDelivered:P1} of offered deliveries arrive and p99 < {RateSearch.MaxP99Ms} ms; rate doubled from {startDeliveries:N0} deliveries/s, then {bisections} bisections");

        var fsync99 = FsyncProbe.MeasureAndPrint("disk");

        using var ca = new BenchCa();
        var identities = ca.Users("m", rooms.Max() + publishers);
        var rows = new List<Row>();
        foreach (var room in rooms)
        {
            foreach (var peer in peers)
            {
                try
                {
                    rows.Add(await SearchAsync(peer, room, ca, identities, size, seconds, warmup, bisections, window, startDeliveries, publishers));
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    // One peer that cannot be driven (a limit, a refusal) must not cost the others' figures.
                    Console.WriteLine($"   {peer}, room of {room}: the search stopped: {e.GetType().Name}: {e.Message}");
                    rows.Add(new Row(room, peer, null, null, 0));
                }
            }
        }

        fsync99 = Math.Min(fsync99, FsyncProbe.MeasureAndPrint("disk again, after the search"));
        PrintSummary(rows, fsync99);
        return 0;
    }

    private static async Task<Row> SearchAsync(string peer, int room, BenchCa ca, List<System.Security.Cryptography.X509Certificates.X509Certificate2> identities,
        int size, int seconds, int warmup, int bisections, int window, int startDeliveries, int publishers)
    {
        Console.WriteLine($"== {peer}, room of {room}");
        void Report(RateSearch.Probe p) => Console.WriteLine(
            $"   offered {p.Rate,10:N0} publishes/s: delivered {p.Delivered,8:P2}, {p.Result.DeliveriesPerSecond,12:N0} deliveries/s, p99 {p.Result.P99Ms,8:0.00} ms, server cores {p.Result.ServerCores:0.00}{(p.Holds ? "" : "  (fails)")}");

        var start = (double)startDeliveries / room;
        var cap = 40_000_000.0 / room;
        switch (peer)
        {
            case "openchat":
            {
                using var server = ServerProcess.Start(ca.Path);
                var meter = new CpuMeter(() => server.CpuTime);
                return await RowAsync(rate => FanoutBench.OpenChatPhaseAsync([server.Port], meter, ca, identities, room, publishers, size, seconds, warmup, rate, window));
            }

            case "raw":
            {
                using var raw = RawFanoutServer.Start(ca);
                return await RowAsync(rate => RawFanoutServer.PhaseAsync(raw, room, publishers, size, seconds, warmup, rate));
            }

            case "raw-process":
            {
                // The same raw fan-out in a process of its own, as OpenChat's server is: its cores
                // are its own, and it does not share a thread pool with the load generator.
                using var raw = ServerProcess.StartRaw(ca);
                var meter = new CpuMeter(() => raw.CpuTime);
                return await RowAsync(rate => RawFanoutServer.PhaseAsync(raw.Port, meter, null, room, publishers, size, seconds, warmup, rate));
            }

            case "raw-same-bytes":
            {
                // Raw frames as long as OpenChat's Event frames were in this run: the fan-out's
                // cost per byte, without the room, sequence, id, sender and epoch an event carries.
                var bytes = FanoutBench.EventPayloadBytes;
                if (bytes == 0)
                {
                    throw new ArgumentException("raw-same-bytes needs openchat earlier in --peers (it takes the size of OpenChat's event frames)");
                }

                Console.WriteLine($"   bodies of {bytes} bytes: an OpenChat Event frame's payload with a {size}-byte body");
                using var raw = RawFanoutServer.Start(ca);
                return await RowAsync(rate => RawFanoutServer.PhaseAsync(raw, room, publishers, bytes, seconds, warmup, rate));
            }

            case "nats":
            {
                await using var nats = await NatsPeer.StartAsync(ca);
                return await RowAsync(rate => nats.PhaseAsync(room, size, seconds, warmup, rate, publishers));
            }

            case "ngircd":
            {
                // A fresh ngIRCd per probe: once overloaded it was still behind in the probes after
                // (57 % delivered at 9,000 publishes/s right after failing 16,000, where 8,000 had
                // held), which would make every bisection below an overload fail.
                return await RowAsync(async rate =>
                {
                    using var irc = await IrcPeer.StartAsync(ca);
                    return await irc.PhaseAsync(room, size, seconds, warmup, rate, publishers);
                });
            }

            default:
                throw new ArgumentException($"unknown peer '{peer}' (known: openchat, raw, raw-process, raw-same-bytes, nats, ngircd)");
        }

        async Task<Row> RowAsync(Func<double, Task<FanoutBench.Result>> phase)
        {
            var (best, probes) = await RateSearch.FindAsync(phase, room, start, bisections, cap, Report);
            FanoutBench.Result? half = null;
            if (best is not null)
            {
                half = await phase(best.Rate / 2);
                Console.WriteLine($"   half of it, {best.Rate / 2:N0} publishes/s: {half.DeliveriesPerSecond:N0} deliveries/s, latency {half.Latency}");
            }

            return new Row(room, peer, best, half, probes.Count + (half is null ? 0 : 1));
        }
    }

    private static void PrintSummary(List<Row> rows, double fsync99)
    {
        Console.WriteLine();
        Console.WriteLine($"{"room",5} {"peer",-14} {"max deliveries/s",17} {"p99 at max",11} {"cores at max",13} {"p99 at half",12} {"probes",7}");
        foreach (var row in rows)
        {
            var best = row.Best;
            Console.WriteLine($"{row.Room,5} {row.Peer,-14} {(best is null ? "none held" : best.Result.DeliveriesPerSecond.ToString("N0", CultureInfo.InvariantCulture)),17} " +
                $"{(best is null ? "" : $"{best.Result.P99Ms:0.00} ms"),11} {(best is null ? "" : $"{best.Result.ServerCores:0.00}"),13} {(row.Half is null ? "" : $"{row.Half.P99Ms:0.00} ms"),12} {row.Probes,7}");
        }

        foreach (var room in rows.Select(r => r.Room).Distinct())
        {
            var of = rows.Where(r => r.Room == room && r.Best is not null).ToDictionary(r => r.Peer);
            if (!of.TryGetValue("openchat", out var openChat))
            {
                continue;
            }

            var ratios = of.Values.Where(r => r.Peer != "openchat")
                .Select(r => $"{openChat.Best!.Result.DeliveriesPerSecond / r.Best!.Result.DeliveriesPerSecond:0.00}x {r.Peer}");
            Console.WriteLine($"room of {room}: openchat = {string.Join(", ", ratios)}");
            foreach (var baseline in new[] { "raw", "raw-process" })
            {
                if (of.TryGetValue(baseline, out var raw) && openChat.Half is { } ours && raw.Half is { } theirs)
                {
                    var floor = theirs.P99Ms + (2 * fsync99);
                    Console.WriteLine($"room of {room}: openchat p99 at half rate {ours.P99Ms:0.00} ms; floor {baseline} p99 at half rate + 2 fsync p99 (the lower probe's) = {theirs.P99Ms:0.00} + 2 x {fsync99:0.00} = {floor:0.00} ms: {(ours.P99Ms <= floor ? "within" : "over")}");
                }
            }
        }
    }
}
