using OpenChat.Engine.Server;

namespace OpenChat.Bench;

/// <summary>A server in its own process, so benchmarks can measure its CPU and memory alone and
/// tests can kill it without warning.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var path = args.String("path") ?? throw new ArgumentException("--path is required");
        var options = new ChatServerOptions
        {
            Port = args.Int("port", 0),
            MaxConnections = args.Int("max-connections", 25_000),
            PublishesPerSecond = args.Int("publish-rate", 1_000_000),
            PublishBurst = args.Int("publish-rate", 1_000_000),
            // The load generator is one host opening thousands of connections at once.
            MaxPendingPerAddress = 1_000_000,
            MaxConnectionsPerAddress = 1_000_000,
            RoomCreationsPerMinute = 1e9,
            RoomCreationBurst = 1e9,
            PublishBytesPerSecond = 1e12,
            PublishBytesBurst = 1e12,
            RequestsPerSecond = 10_000,
            RequestBurst = 10_000,
            IdleTimeout = TimeSpan.FromSeconds(args.Int("idle-seconds", 600)),
            Database = args.String("database"),
            Backplane = args.String("backplane"),
            // The bench reads the commit stage's histograms from here (fanout --rate).
            MetricsPort = args.String("metrics") is null ? null : 0,
        };
        var server = await ChatServer.StartAsync(path, options);
        Console.WriteLine($"READY {server.Endpoint.Port}");
        if (server.MetricsEndpoint is { } metrics)
        {
            Console.WriteLine($"METRICS {metrics.Port}");
        }

        Console.Out.Flush();
        var done = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            done.TrySetResult();
        };
        _ = Task.Run(() =>
        {
            // Closing stdin is the polite way for a parent to ask us to stop.
            Console.In.ReadToEnd();
            done.TrySetResult();
        });
        await done.Task;
        await server.StopAsync();
        return 0;
    }
}
