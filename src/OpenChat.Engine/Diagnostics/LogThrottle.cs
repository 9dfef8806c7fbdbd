using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// Keeps an event that a peer can cause at will (a refused socket, a failed handshake, a request
/// over its rate) from turning the log into the attack: at most <c>perSecond</c> lines pass
/// (with a burst), and the lines held back are said in one summary line
/// (<c>LinesSuppressed</c>, event 2) when the next one passes. The refusal itself is
/// never held back, only its log line. Thread-safe.
/// </summary>
public sealed class LogThrottle(string eventName, double perSecond = 20, double burst = 100, TimeProvider? time = null)
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly double _burst = burst;
    private double _tokens = burst;
    private long _last = (time ?? TimeProvider.System).GetTimestamp();
    private long _suppressed;

    /// <summary>Whether this occurrence may be logged; when it may and lines were held back
    /// before it, the summary is logged first.</summary>
    public bool Admit(ILogger log)
    {
        long held;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * perSecond));
            _last = now;
            if (_tokens < 1)
            {
                _suppressed++;
                return false;
            }

            _tokens -= 1;
            held = _suppressed;
            _suppressed = 0;
        }

        if (held > 0)
        {
            EngineLog.LinesSuppressed(log, held, eventName, perSecond);
        }

        return true;
    }
}
