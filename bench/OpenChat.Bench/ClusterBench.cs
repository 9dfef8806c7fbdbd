using System.Globalization;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Bench;

/// <summary>
/// Fan-out and durable ingest of one deployment shape after another in one run on one machine:
/// one node on SQLite (the default, the baseline), one node on PostgreSQL alone and with NATS, two nodes on
/// PostgreSQL and NATS (receivers and publishers spread over both, so half the deliveries cross
/// the bus), and two nodes on PostgreSQL alone. PostgreSQL runs durable (fsync and synchronous
/// commit on, like SQLite's synchronous=FULL) and is started here, with nats-server, in a temp
/// folder on a free loopback port, as the test suite starts them.
/// </summary>
internal static class ClusterBench
{
    private sealed record Shape(string Name, int Nodes, bool Database, bool Bus);

    private sealed record Row(Shape Shape, FanoutBench.Result Max, FanoutBench.Result Half, IngestBench.Result Ingest);

    private static readonly Shape[] Shapes =
    [
        new("1 node, SQLite", 1, Database: false, Bus: false),
        new("1 node, PostgreSQL only", 1, Database: true, Bus: false),
        new("1 node, PostgreSQL + NATS", 1, Database: true, Bus: true),
        new("2 nodes, PostgreSQL + NATS", 2, Database: true, Bus: true),
        new("2 nodes, PostgreSQL only", 2, Database: true, Bus: false),
    ];

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var members = args.Int("members", 100);
        var publishers = args.Int("publishers", 2);
        var size = Math.Max(16, args.Int("size", 128));
        var seconds = args.Int("seconds", 10);
        var warmup = args.Int("warmup", 3);
        var window = args.Int("window", 4096);
        var ingestPublishers = args.Int("ingest-publishers", 8);
        var messages = args.Int("messages", 100_000);
        var only = args.String("only");
        Console.WriteLine($"cluster: fan-out in a room of {members} receivers with {publishers} publisher(s), {size}-byte bodies, {warmup} s warm-up and {seconds} s measured per phase; " +
            $"ingest of {messages:N0} messages from {ingestPublishers} publishers; {Environment.ProcessorCount} cores shared by the nodes, PostgreSQL, nats-server and the load generator");

        await using var postgres = await PostgresServer.StartAsync(durable: true);
        await using var nats = await NatsServer.StartAsync();
        Console.WriteLine($"engines: PostgreSQL (fsync on) on port {postgres.Port}, nats-server on port {nats.Port}");

        var rows = new List<Row>();
        foreach (var shape in Shapes.Where(s => only is null || s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            Console.WriteLine($"-- {shape.Name}");
            var database = shape.Database ? await postgres.CreateDatabaseAsync() : null;
            using var ca = new BenchCa(database);
            var receivers = ca.Users("m", members + publishers);
            var ingesters = ca.Users("p", ingestPublishers);
            string[] extra = database is null ? [] : shape.Bus ? ["--database", database, "--backplane", nats.Url] : ["--database", database];
            var servers = new List<ServerProcess>();
            try
            {
                servers.Add(ServerProcess.Start(ca.Path, 0, extra));
                while (servers.Count < shape.Nodes)
                {
                    servers.Add(ServerProcess.Start(ca.NodeCopy(), 0, extra));
                }

                var ports = servers.Select(s => s.Port).ToList();
                var meter = new CpuMeter(
                    () => servers.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.CpuTime),
                    () => new[] { shape.Database ? postgres.ProcessId : null, shape.Bus ? nats.ProcessId : null }.OfType<int>());
                var max = await FanoutBench.OpenChatPhaseAsync(ports, meter, ca, receivers, members, publishers, size, seconds, warmup, rate: 0, window);
                FanoutBench.Report("fan-out, max rate", max);
                var half = await FanoutBench.OpenChatPhaseAsync(ports, meter, ca, receivers, members, publishers, size, seconds, warmup, rate: max.PublishesPerSecond / 2, window);
                FanoutBench.Report("fan-out, half rate", half);
                for (var n = 0; n < (half.NodeLatency?.Count ?? 0); n++)
                {
                    Console.WriteLine($"{"  node " + (n + 1) + "'s receivers",-26} latency {half.NodeLatency![n]}");
                }

                var ingest = await IngestBench.MeasureAsync(ports, meter, ca, ingesters, messages / ingestPublishers, size);
                Console.WriteLine($"{"ingest",-26} acknowledged {ingest.Acknowledged:N0} in {ingest.Seconds:0.00} s: {ingest.PerSecond:N0} messages/s   server cores {ingest.ServerCores:0.00} (engines {ingest.EngineCores:0.00}, machine {ingest.MachineCores:0.00})");
                rows.Add(new Row(shape, max, half, ingest));
            }
            finally
            {
                foreach (var server in servers)
                {
                    server.Dispose();
                }
            }
        }

        PrintTable(rows);
        return 0;
    }

    private static void PrintTable(List<Row> rows)
    {
        if (rows.Count == 0)
        {
            Console.WriteLine("no deployment shape matched --only");
            return;
        }

        var baseline = rows[0];
        Console.WriteLine();
        Console.WriteLine($"| deployment | fan-out deliveries/s at max (vs {baseline.Shape.Name}) | cores: nodes / engines / machine | latency at half rate p50 / p99 | second node's receivers p50 / p99 | ingest messages/s (vs {baseline.Shape.Name}) | cores: nodes / engines / machine |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Shape.Name} | {r.Max.DeliveriesPerSecond:N0} ({r.Max.DeliveriesPerSecond / baseline.Max.DeliveriesPerSecond:P0}) | {r.Max.ServerCores:0.00} / {r.Max.EngineCores:0.00} / {r.Max.MachineCores:0.00} | " +
                $"{P50P99(r.Half.Latency)} | {(r.Half.NodeLatency is { Count: > 1 } nodes ? P50P99(nodes[1]) : "—")} | " +
                $"{r.Ingest.PerSecond:N0} ({r.Ingest.PerSecond / baseline.Ingest.PerSecond:P0}) | {r.Ingest.ServerCores:0.00} / {r.Ingest.EngineCores:0.00} / {r.Ingest.MachineCores:0.00} |"));
        }
    }

    private static string P50P99(string summary)
    {
        var parts = summary.Split(',');
        return parts.Length < 2 ? summary
            : $"{parts[0].Replace("p50 ", "", StringComparison.Ordinal).Trim()} / {parts[1].Replace("p99 ", "", StringComparison.Ordinal).Trim()}";
    }
}
