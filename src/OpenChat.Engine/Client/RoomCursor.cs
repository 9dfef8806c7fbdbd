using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// Per room, what the application has been given so far. Events reach the client live and from
/// history, possibly twice and out of order around a reconnect; the cursor hands them on exactly
/// once, in sequence order, and says when a gap needs filling from history.
/// </summary>
internal sealed class RoomCursor(string room, ulong next)
{
    public const int MaxBuffered = 100_000;

    /// <summary>Events held ahead of a gap are also bounded in bytes: a server that never fills
    /// the gap cannot make the client hold gigabytes. What is not kept is asked for again.</summary>
    public const long MaxBufferedBytes = 16L * 1024 * 1024;

    private long _aheadBytes;

    private readonly SortedDictionary<ulong, RoomEvent> _ahead = [];

    public string Room { get; } = room;

    /// <summary>The next sequence to hand on.</summary>
    public ulong Next { get; private set; } = next;

    /// <summary>The highest sequence the server has told us about.</summary>
    public ulong Known { get; set; }

    public bool HistoryInFlight { get; set; }

    /// <summary>Where the last history request started.</summary>
    public ulong RequestedFrom { get; private set; }

    /// <summary>A history request from <see cref="Next"/> is going out.</summary>
    public void HistoryRequested()
    {
        HistoryInFlight = true;
        RequestedFrom = Next;
    }

    /// <summary>A history batch ended; returns whether to ask again: while the batch moved us on
    /// and more is known to exist. (Not judged from the batch's last sequence: events held ahead
    /// of the gap may have taken us further than it.)</summary>
    public bool HistoryEnded(ulong roomLastSequence)
    {
        HistoryInFlight = false;
        Known = Math.Max(Known, roomLastSequence);
        return HasGap && Next > RequestedFrom && Next <= Known;
    }

    public RoomKind Kind { get; set; }

    public bool HasGap => Known >= Next || _ahead.Count > 0;

    /// <summary>Accepts an event; returns the events now ready, in order.</summary>
    public List<RoomEvent> Accept(RoomEvent e)
    {
        var ready = new List<RoomEvent>();
        Known = Math.Max(Known, e.Sequence);
        if (e.Sequence < Next)
        {
            return ready;
        }

        if (e.Sequence > Next)
        {
            if (_ahead.Count < MaxBuffered && _aheadBytes + e.Body.Length <= MaxBufferedBytes && _ahead.TryAdd(e.Sequence, e))
            {
                _aheadBytes += e.Body.Length;
            }

            return ready;
        }

        ready.Add(e);
        Next++;
        while (_ahead.Remove(Next, out var following))
        {
            _aheadBytes -= following.Body.Length;
            ready.Add(following);
            Next++;
        }

        return ready;
    }
}
