namespace OpenChat.Bench.Peers;

/// <summary>
/// The highest offered publish rate a fan-out holds: at least 99.5 % of the deliveries it was
/// offered arrive within the measured window and their p99 latency is under 50 ms. Found by
/// doubling from a starting rate until a probe fails, then bisecting between the last rate that
/// held and the first that did not. A rate is offered open loop: a server that makes its
/// publisher wait is as short of it as one that drops.
/// </summary>
internal static class RateSearch
{
    public const double MinDelivered = 0.995;
    public const double MaxP99Ms = 50;

    /// <param name="Rate">Publishes per second offered.</param>
    /// <param name="Delivered">Deliveries counted over those offered (rate × receivers × seconds).</param>
    public sealed record Probe(double Rate, double Delivered, FanoutBench.Result Result)
    {
        public bool Holds => Delivered >= MinDelivered && Result.P99Ms < MaxP99Ms;
    }

    /// <summary>The best probe that held (null if even the start failed) and every probe made.</summary>
    public static async Task<(Probe? Best, IReadOnlyList<Probe> Probes)> FindAsync(Func<double, Task<FanoutBench.Result>> phase, int receivers, double startRate,
        int bisections, double maxRate, Action<Probe> report)
    {
        var probes = new List<Probe>();
        async Task<Probe> ProbeAsync(double rate)
        {
            var result = await phase(rate);
            var probe = new Probe(rate, result.DeliveriesPerSecond / (rate * receivers), result);
            probes.Add(probe);
            report(probe);
            return probe;
        }

        Probe? held = null;
        double failed = 0;
        for (var rate = startRate; rate <= maxRate; rate *= 2)
        {
            var probe = await ProbeAsync(rate);
            if (!probe.Holds)
            {
                failed = rate;
                break;
            }

            held = probe;
        }

        if (held is null || failed == 0)
        {
            // The start failed, or the cap was reached while every rate held.
            return (held, probes);
        }

        var low = held.Rate;
        var high = failed;
        for (var i = 0; i < bisections; i++)
        {
            var probe = await ProbeAsync((low + high) / 2);
            if (probe.Holds)
            {
                held = probe;
                low = probe.Rate;
            }
            else
            {
                high = probe.Rate;
            }
        }

        return (held, probes);
    }
}
