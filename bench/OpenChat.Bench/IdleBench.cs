namespace OpenChat.Bench;

/// <summary>How many idle mutual-TLS connections one server holds, and its memory per connection
/// (resident memory growth divided by connections). Needs a file-descriptor limit above the
/// connection count in both processes: run under `ulimit -n 65536`.</summary>
internal static class IdleBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var target = args.Int("connections", 20_000);
        using var ca = new BenchCa();
        var identities = ca.Users("i", 64);
        using var server = ServerProcess.Start(ca.Path, 0, "--max-connections", (target + 100).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var clients = new List<BenchClient>();
        // A first batch warms up the runtime so the baseline memory is not the cold start.
        for (var i = 0; i < 100; i++)
        {
            clients.Add(await BenchClient.ConnectAsync(server.Port, ca, identities[i % identities.Count], room: null));
        }

        GC.Collect();
        await Task.Delay(1000);
        var before = server.ResidentBytes;
        var open = clients.Count;
        var failures = 0;
        using var gate = new SemaphoreSlim(32);
        var tasks = new List<Task>();
        var added = new System.Collections.Concurrent.ConcurrentBag<BenchClient>();
        for (var i = open; i < target; i++)
        {
            await gate.WaitAsync();
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    added.Add(await BenchClient.ConnectAsync(server.Port, ca, identities[index % identities.Count], room: null));
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(tasks);
        await Task.Delay(2000);
        var after = server.ResidentBytes;
        var held = open + added.Count;
        var perConnection = (after - before) / (double)Math.Max(1, added.Count);
        Console.WriteLine($"idle mutual-TLS connections held: {held:N0} of {target:N0} ({failures} failed)");
        Console.WriteLine($"server resident memory {before / 1048576.0:N0} MB -> {after / 1048576.0:N0} MB: {perConnection / 1024:N1} KB per connection (target <= 64 KB)");
        foreach (var c in clients.Concat(added))
        {
            await c.DisposeAsync();
        }

        return 0;
    }
}
