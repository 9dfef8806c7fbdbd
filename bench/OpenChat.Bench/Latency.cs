using System.Diagnostics;

namespace OpenChat.Bench;

/// <summary>Latency samples in microseconds (publisher stamp to receiver arrival, one clock).</summary>
internal sealed class Latency
{
    private readonly List<long> _samples = new(1 << 20);
    private readonly Lock _gate = new();

    public static long Stamp() => Stopwatch.GetTimestamp();

    public void Add(long stamp)
    {
        var micros = (long)Stopwatch.GetElapsedTime(stamp).TotalMicroseconds;
        lock (_gate)
        {
            if (_samples.Count < 5_000_000)
            {
                _samples.Add(micros);
            }
        }
    }

    /// <summary>The quantile <paramref name="q"/> in milliseconds (NaN without samples).</summary>
    public double Percentile(double q)
    {
        lock (_gate)
        {
            if (_samples.Count == 0)
            {
                return double.NaN;
            }

            _samples.Sort();
            return _samples[Math.Min(_samples.Count - 1, (int)(q * _samples.Count))] / 1000.0;
        }
    }

    public string Summary()
    {
        lock (_gate)
        {
            if (_samples.Count == 0)
            {
                return "no samples";
            }

            _samples.Sort();
            string P(double q) => $"{_samples[Math.Min(_samples.Count - 1, (int)(q * _samples.Count))] / 1000.0:0.00} ms";
            return $"p50 {P(0.50)}, p99 {P(0.99)}, p99.9 {P(0.999)} ({_samples.Count:N0} samples)";
        }
    }
}
