using NATS.Client.Core;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Bench.Peers;

/// <summary>
/// nats-server (Debian's package) as a fan-out peer: core pub/sub over TLS, every receiver a
/// connection subscribed to one subject, one publisher. No storage and no acknowledgement, so it
/// does less per message than OpenChat; it is the broker a team might pick instead.
/// </summary>
internal sealed class NatsPeer : IAsyncDisposable
{
    private const string Subject = "bench.room";
    private readonly NatsServer _server;

    private NatsPeer(NatsServer server) => _server = server;

    public int? ProcessId => _server.ProcessId;

    /// <summary>Starts nats-server with TLS required, on the bench CA's server certificate.</summary>
    public static async Task<NatsPeer> StartAsync(BenchCa ca) =>
        new(await NatsServer.StartAsync(["--tls", "--tlscert", ca.Directory.ServerCertificatePath, "--tlskey", ca.Directory.ServerKeyPath]));

    private NatsOpts Options(string name) => new()
    {
        Url = $"tls://127.0.0.1:{_server.Port}",
        Name = name,
        // Like the raw baseline, the client takes the server's certificate without a name check.
        TlsOpts = new NatsTlsOpts { Mode = TlsMode.Require, InsecureSkipVerify = true },
        // The library's own queue per subscription must not be what drops messages.
        SubPendingChannelCapacity = 1 << 16,
    };

    public async Task<FanoutBench.Result> PhaseAsync(int members, int size, int seconds, int warmup, double rate, int publisherCount = 1)
    {
        var connections = new List<NatsConnection>();
        var subscriptions = new List<INatsSub<byte[]>>();
        for (var i = 0; i < members; i++)
        {
            var connection = new NatsConnection(Options($"receiver-{i}"));
            await connection.ConnectAsync();
            connections.Add(connection);
            subscriptions.Add(await connection.SubscribeCoreAsync<byte[]>(Subject));
        }

        var publishers = new List<NatsConnection>();
        for (var i = 0; i < publisherCount; i++)
        {
            var publisher = new NatsConnection(Options($"publisher-{i}"));
            await publisher.ConnectAsync();
            connections.Add(publisher);
            publishers.Add(publisher);
        }

        // Every subscription is known to the server before the first publish.
        foreach (var connection in connections)
        {
            await connection.PingAsync();
        }

        var counters = new PhaseCounters();
        using var stop = new CancellationTokenSource();
        var reading = subscriptions.Select(sub => Task.Run(async () =>
        {
            try
            {
                await foreach (var message in sub.Msgs.ReadAllAsync(stop.Token))
                {
                    if (counters.Delivered() && message.Data is { Length: >= 8 } data)
                    {
                        counters.Latency.Add(BitConverter.ToInt64(data));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();

        // Each publisher paces its share of the rate on its own connection.
        var publishing = publishers.Select(publisher => Task.Run(async () =>
        {
            var pacer = new RatePacer(rate / publishers.Count);
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var count = await pacer.NextAsync(stop.Token);
                    for (var i = 0; i < count; i++)
                    {
                        var body = new byte[size];
                        BitConverter.TryWriteBytes(body, Latency.Stamp());
                        await publisher.PublishAsync(Subject, body, cancellationToken: stop.Token);
                    }

                    counters.Published(count);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or NatsException)
            {
            }
        })).ToList();

        var window = await counters.MeasureAsync(warmup, seconds, new CpuMeter(() => _server.ProcessId is { } pid ? CpuMeter.TreeTime([pid]) : TimeSpan.Zero));
        stop.Cancel();
        await Task.WhenAll(reading.Concat(publishing));
        // Closing a receiver that is still behind can time out on its unsubscribe; the
        // connection goes all the same, and the next phase starts with new ones.
        var slowClose = 0;
        foreach (var connection in connections)
        {
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                slowClose++;
            }
        }

        if (slowClose > 0)
        {
            Console.WriteLine($"   ({slowClose} NATS connections timed out while closing)");
        }

        return counters.Result(window, window.Cores.Servers);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
