using System.Diagnostics;

namespace OpenChat.Bench;

/// <summary>
/// What one fan-out phase counts, for every server the bench drives: deliveries (one in 64
/// sampled for latency, in the measured window only), publishes, and the measured window itself
/// after a warm-up, with the CPU taken over it.
/// </summary>
internal sealed class PhaseCounters
{
    private long _delivered;
    private long _published;
    private int _measuring;

    public Latency Latency { get; } = new();

    /// <summary>Counts a delivery; true when this one's latency should be sampled.</summary>
    public bool Delivered() => (Interlocked.Increment(ref _delivered) & 63) == 0 && Volatile.Read(ref _measuring) == 1;

    public void Published(long count = 1) => Interlocked.Add(ref _published, count);

    public sealed record Window(double DeliveriesPerSecond, double PublishesPerSecond, (double Servers, double Engines, double Machine) Cores);

    /// <summary>Waits out the warm-up, then measures for <paramref name="seconds"/>.</summary>
    public async Task<Window> MeasureAsync(int warmup, int seconds, CpuMeter meter)
    {
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        var d0 = Interlocked.Read(ref _delivered);
        var p0 = Interlocked.Read(ref _published);
        var cpu0 = meter.Take();
        Volatile.Write(ref _measuring, 1);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var elapsed = clock.Elapsed.TotalSeconds;
        var d1 = Interlocked.Read(ref _delivered);
        var p1 = Interlocked.Read(ref _published);
        return new Window((d1 - d0) / elapsed, (p1 - p0) / elapsed, CpuMeter.Cores(cpu0, meter.Take(), elapsed));
    }

    /// <summary>The phase's result from its window, with this phase's latency.</summary>
    public FanoutBench.Result Result(Window window, double serverCores) =>
        new(window.DeliveriesPerSecond, window.PublishesPerSecond, serverCores, Latency.Summary()) { P99Ms = Latency.Percentile(0.99) };
}
