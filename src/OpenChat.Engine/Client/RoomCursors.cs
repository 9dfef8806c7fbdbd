namespace OpenChat.Engine.Client;

/// <summary>
/// The one owner of where each room stands for this device: the <see cref="RoomCursor"/> of every
/// joined room (what has been handed on, what is missing) and, per room, the last sequence
/// processed through, which survives leaving the connection and is what a rejoin starts after.
/// By default handing an event to the application processes it, and the positions are saved as
/// <see cref="ClientState.LastRead"/>. A consumer that processes events itself and saves its
/// own state with them (the end-to-end session) takes the positions over with
/// <see cref="TakeOver"/>: from then on it advances them (<see cref="Advance"/>) and saves them
/// in its own file, so a position lives in one place in memory and in one file.
/// Not thread-safe: the client calls it under its dispatch lock.
/// </summary>
internal sealed class RoomCursors
{
    private readonly Dictionary<string, RoomCursor> _joined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _processed;

    public RoomCursors(IReadOnlyDictionary<string, ulong> saved)
    {
        _processed = new Dictionary<string, ulong>(saved, StringComparer.Ordinal);
    }

    /// <summary>Whether handing an event on counts as processing it (until <see cref="TakeOver"/>).</summary>
    public bool AdvanceOnDelivery { get; private set; } = true;

    public IReadOnlyCollection<string> Joined => _joined.Keys;

    public IEnumerable<RoomCursor> All => _joined.Values;

    public bool TryGet(string room, out RoomCursor cursor) => _joined.TryGetValue(room, out cursor!);

    public bool IsJoined(string room) => _joined.ContainsKey(room);

    /// <summary>The cursor of a room, made if it has none: from <paramref name="fromSequence"/>,
    /// else after the last event processed, else from the room's beginning.</summary>
    public RoomCursor Open(string room, ulong? fromSequence)
    {
        if (!_joined.TryGetValue(room, out var cursor))
        {
            var next = fromSequence ?? (_processed.TryGetValue(room, out var through) ? through + 1 : 1);
            cursor = new RoomCursor(room, Math.Max(next, 1));
            _joined[room] = cursor;
        }

        return cursor;
    }

    /// <summary>The room is no longer received on this connection; its position stays.</summary>
    public void Close(string room) => _joined.Remove(room);

    /// <summary>Membership ended: the room goes, and its position too unless a consumer took
    /// the positions over (its saved state keeps the room, and what it processed of it).</summary>
    public void Forget(string room)
    {
        _joined.Remove(room);
        if (AdvanceOnDelivery)
        {
            _processed.Remove(room);
        }
    }

    /// <summary>The last sequence processed in <paramref name="room"/>, 0 before any.</summary>
    public ulong ProcessedThrough(string room) => _processed.TryGetValue(room, out var through) ? through : 0;

    /// <summary>Moves a room's position forward (never back); returns whether it moved.</summary>
    public bool Advance(string room, ulong sequence)
    {
        if (_processed.TryGetValue(room, out var through) && through >= sequence)
        {
            return false;
        }

        _processed[room] = sequence;
        return true;
    }

    /// <summary>An event was handed to the application.</summary>
    public bool Delivered(string room, ulong sequence) => AdvanceOnDelivery && Advance(room, sequence);

    /// <summary>From now on the caller says what is processed: its saved positions replace these
    /// for the rooms it names (they may be lower: an event handed on but not processed before a
    /// crash is processed again), and delivery alone no longer moves a position.</summary>
    public void TakeOver(IReadOnlyDictionary<string, ulong> processedThrough)
    {
        AdvanceOnDelivery = false;
        foreach (var (room, through) in processedThrough)
        {
            _processed[room] = through;
        }
    }

    public Dictionary<string, ulong> Snapshot() => new(_processed, StringComparer.Ordinal);

    /// <summary>What the client's own state file keeps: nothing once the positions were taken
    /// over (the consumer's file has them).</summary>
    public Dictionary<string, ulong> ToSave() => AdvanceOnDelivery ? Snapshot() : new(StringComparer.Ordinal);
}
