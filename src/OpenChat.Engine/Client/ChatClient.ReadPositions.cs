namespace OpenChat.Engine.Client;

/// <summary>Where each room stands for this device: the last sequence processed. One owner
/// (<see cref="ChatClient"/>'s <see cref="RoomCursors"/>) holds it; the end-to-end session reads
/// and advances it through this, under each room's gate, and saves it with the room's group.</summary>
internal interface IReadPositions
{
    ulong ProcessedThrough(string room);

    void AdvanceProcessed(string room, ulong sequence);
}

/// <summary>Where each room stands for this device, for a layer above that processes events
/// itself (the end-to-end session). <see cref="RoomCursors"/> owns the positions; this is the
/// small way in.</summary>
public sealed partial class ChatClient : IReadPositions
{
    ulong IReadPositions.ProcessedThrough(string room) => ProcessedThrough(room);

    void IReadPositions.AdvanceProcessed(string room, ulong sequence) => AdvanceProcessed(room, sequence);

    /// <summary>The last sequence processed in <paramref name="room"/> (0 before any).</summary>
    internal ulong ProcessedThrough(string room)
    {
        lock (_gate)
        {
            return _rooms.ProcessedThrough(room);
        }
    }

    /// <summary>Every room's position, as saved in the client's state file.</summary>
    internal IReadOnlyDictionary<string, ulong> ProcessedPositions()
    {
        lock (_gate)
        {
            return _rooms.Snapshot();
        }
    }

    /// <summary>From now on the caller decides what is processed: handing an event out of
    /// <see cref="ReceiveAsync"/> no longer moves its room's position, and the positions the
    /// caller saved (with the state they belong to) replace the client's for the rooms it names.
    /// Call once, before the first receive.</summary>
    internal void TakeOverReadPositions(IReadOnlyDictionary<string, ulong> processedThrough)
    {
        lock (_gate)
        {
            _rooms.TakeOver(processedThrough);
        }

        _store.MarkDirty();
    }

    /// <summary>The event at <paramref name="sequence"/> of <paramref name="room"/> (and all
    /// before it) is processed; never moves a position back.</summary>
    internal void AdvanceProcessed(string room, ulong sequence)
    {
        bool moved;
        lock (_gate)
        {
            moved = _rooms.Advance(room, sequence);
        }

        if (moved)
        {
            _store.MarkDirty();
        }
    }
}
