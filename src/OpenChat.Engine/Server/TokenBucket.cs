using System.Diagnostics;

namespace OpenChat.Engine.Server;

/// <summary>A per-connection rate limit: <c>rate</c> tokens a second, bursts up to <c>burst</c>.
/// Used from the connection's reader only, so it needs no locking.</summary>
public sealed class TokenBucket
{
    private readonly double _rate;
    private readonly double _burst;
    private double _tokens;
    private long _last = Stopwatch.GetTimestamp();

    public TokenBucket(double rate, double burst)
    {
        _rate = rate;
        _burst = burst;
        _tokens = burst;
    }

    public bool TryTake(double count = 1)
    {
        var now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (Stopwatch.GetElapsedTime(_last, now).TotalSeconds * _rate));
        _last = now;
        if (_tokens < count)
        {
            return false;
        }

        _tokens -= count;
        return true;
    }
}
