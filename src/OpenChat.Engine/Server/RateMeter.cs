using System.Diagnostics;

namespace OpenChat.Engine.Server;

/// <summary>Events per second over the last completed second, for live figures.</summary>
internal sealed class RateMeter
{
    private readonly Lock _gate = new();
    private long _windowStart = Stopwatch.GetTimestamp();
    private long _count;
    private double _lastRate;

    public void Add(long count)
    {
        lock (_gate)
        {
            Roll();
            _count += count;
        }
    }

    public double PerSecond
    {
        get
        {
            lock (_gate)
            {
                Roll();
                return _lastRate;
            }
        }
    }

    private void Roll()
    {
        var elapsed = Stopwatch.GetElapsedTime(_windowStart).TotalSeconds;
        if (elapsed >= 1)
        {
            _lastRate = elapsed < 2 ? _count / elapsed : 0;
            _count = 0;
            _windowStart = Stopwatch.GetTimestamp();
        }
    }
}
