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
    private readonly Server.TokenBucket _lines = new(perSecond, burst, time);
    private long _suppressed;

    /// <summary>Whether this occurrence may be logged; when it may and lines were held back
    /// before it, the summary is logged first.</summary>
    public bool Admit(ILogger log)
    {
        long held;
        lock (_gate) // the bucket is single-threaded; refusals come from every connection
        {
            if (!_lines.TryTake())
            {
                _suppressed++;
                return false;
            }

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
