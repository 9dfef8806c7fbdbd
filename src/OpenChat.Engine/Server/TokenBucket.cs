namespace OpenChat.Engine.Server;

/// <summary>A per-connection rate limit: <c>rate</c> tokens a second, bursts up to <c>burst</c>.
/// Not thread-safe: a connection's reader owns its buckets; a shared one is used under a lock
/// (<see cref="Diagnostics.LogThrottle"/>).</summary>
public sealed class TokenBucket
{
    private readonly double _rate;
    private readonly double _burst;
    private double _tokens;
    private readonly TimeProvider _time;
    private long _last;

    public TokenBucket(double rate, double burst, TimeProvider? time = null)
    {
        _rate = rate;
        _burst = burst;
        _tokens = burst;
        _time = time ?? TimeProvider.System;
        _last = _time.GetTimestamp();
    }

    /// <summary>True once the bucket has refilled to its burst: it then behaves like a new one.</summary>
    public bool IsFull
    {
        get
        {
            Refill();
            return _tokens >= _burst;
        }
    }

    public bool TryTake(double count = 1)
    {
        Refill();
        if (_tokens < count)
        {
            return false;
        }

        _tokens -= count;
        return true;
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _rate));
        _last = now;
    }
}
