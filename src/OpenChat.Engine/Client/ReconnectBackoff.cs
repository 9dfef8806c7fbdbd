namespace OpenChat.Engine.Client;

/// <summary>How long to wait before the next reconnect attempt: short at first (a dropped
/// connection to a healthy server comes back at once), doubling up to a ceiling so that a
/// server that is down is not hammered by every client it had.</summary>
internal sealed class ReconnectBackoff(TimeSpan first, TimeSpan ceiling)
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);

    private TimeSpan _next = first;

    /// <summary>The wait before the next attempt; each call doubles the following one.</summary>
    public TimeSpan Next()
    {
        var delay = _next < ceiling ? _next : ceiling;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, ceiling.Ticks));
        return delay;
    }
}
