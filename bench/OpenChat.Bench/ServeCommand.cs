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
        await StoppedAsync();
        await server.StopAsync();
        return 0;
    }

    /// <summary>The raw TLS fan-out baseline in a process of its own, so that its CPU is its own
    /// and not shared with the load generator's (prints READY &lt;port&gt;).</summary>
    public static async Task<int> RunRawAsync(BenchArgs args)
    {
        var certificate = args.String("cert") ?? throw new ArgumentException("--cert is required");
        var key = args.String("key") ?? throw new ArgumentException("--key is required");
        using var raw = RawFanoutServer.Start(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(certificate, key));
        Console.WriteLine($"READY {raw.Port}");
        Console.Out.Flush();
        await StoppedAsync();
        return 0;
    }

    // Until Ctrl+C, or until the parent closes our stdin (the polite way to ask us to stop).
    private static async Task StoppedAsync()
    {
        var done = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            done.TrySetResult();
        };
        _ = Task.Run(() =>
        {
            Console.In.ReadToEnd();
            done.TrySetResult();
        });
        await done.Task;
    }
}
