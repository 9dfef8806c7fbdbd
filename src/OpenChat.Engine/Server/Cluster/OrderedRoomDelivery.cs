using System.Collections.Concurrent;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// Keeps each room's delivery to this node's subscribers in sequence order, whichever path the
/// events come by (this node's log, the bus, the poll of the store): per room with local
/// subscribers it knows the last sequence delivered, delivers a batch that follows it, reads a
/// gap before a batch from the store first (a gap below a committed sequence is committed already:
/// the store assigns sequences under the room row's lock), and drops what was delivered already.
/// </summary>
internal sealed class OrderedRoomDelivery(IMessageStore store, LocalRoomEventBus local)
{
    private const int ReadBatch = 512;
    private const long ReadBytes = 4L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, Cursor> _cursors = new(StringComparer.Ordinal);
    private long _fromBus;
    private long _fromStore;

    /// <summary>Batches delivered as they came on the bus.</summary>
    public long BatchesFromBus => Interlocked.Read(ref _fromBus);

    /// <summary>Events delivered from the store (gaps and the poll).</summary>
    public long EventsFromStore => Interlocked.Read(ref _fromStore);

    /// <summary>The rooms followed now (those with local subscribers).</summary>
    public ICollection<string> Rooms => _cursors.Keys;

    public bool IsFollowed(string room) => _cursors.ContainsKey(room);

    /// <summary>Follows the room from <paramref name="lastSequence"/> on (null: not known, the
    /// first batch delivered or the next poll sets it); true if it was not followed before.</summary>
    public bool Follow(string room, ulong? lastSequence) => _cursors.TryAdd(room, new Cursor(lastSequence));

    public void Forget(string room) => _cursors.TryRemove(room, out _);

    /// <summary>The last sequence delivered (null when the room is not followed or not known yet).</summary>
    public ulong? DeliveredUpTo(string room) => _cursors.TryGetValue(room, out var cursor) ? cursor.Known ? cursor.UpTo : null : null;

    /// <summary>Delivers the batch in order (<paramref name="chunks"/> empty: read it from the
    /// store). Returns the room's sequence and epoch when something was delivered, else null.</summary>
    public (ulong Last, ulong Epoch)? Deliver(string room, ulong first, ulong last, ulong epoch, IReadOnlyList<byte[]> chunks, bool fromBus)
    {
        if (!_cursors.TryGetValue(room, out var cursor))
        {
            return null;
        }

        lock (cursor.Gate)
        {
            if (!cursor.Known)
            {
                if (chunks.Count == 0)
                {
                    return null;
                }

                Send(room, chunks, fromBus, last - first + 1);
                cursor.Known = true;
                cursor.UpTo = last;
                return (last, epoch);
            }

            if (last <= cursor.UpTo)
            {
                return null;
            }

            if (chunks.Count == 0 || first <= cursor.UpTo)
            {
                // Nothing to send as it came (too large for the bus, or partly delivered already).
                return FillHeld(room, cursor, last);
            }

            if (first > cursor.UpTo + 1)
            {
                FillHeld(room, cursor, first - 1);
                if (cursor.UpTo != first - 1)
                {
                    // The store did not give the whole gap (it failed): the poll repairs, in order.
                    return null;
                }
            }

            Send(room, chunks, fromBus, last - first + 1);
            cursor.UpTo = last;
            return (last, epoch);
        }
    }

    /// <summary>Delivers from the store what the room has beyond what was delivered (the poll).</summary>
    public (ulong Last, ulong Epoch)? CatchUp(string room)
    {
        if (!_cursors.TryGetValue(room, out var cursor) || store.FindRoom(room) is not { } stored)
        {
            return null;
        }

        lock (cursor.Gate)
        {
            if (!cursor.Known)
            {
                cursor.Known = true;
                cursor.UpTo = stored.LastSequence;
                return null;
            }

            return stored.LastSequence > cursor.UpTo ? FillHeld(room, cursor, stored.LastSequence) : null;
        }
    }

    // With the cursor's gate held: delivers the store's events after cursor.UpTo up to `to`, as
    // far as they come gap-free.
    private (ulong Last, ulong Epoch)? FillHeld(string room, Cursor cursor, ulong to)
    {
        (ulong, ulong)? reached = null;
        while (cursor.UpTo < to)
        {
            var events = store.Read(room, cursor.UpTo + 1, (int)Math.Min(ReadBatch, to - cursor.UpTo), ReadBytes);
            var frames = new EventBatch();
            var upTo = cursor.UpTo;
            // Only a commit's and a chat message's epoch were checked by the store; a key package
            // carries whatever its sender wrote, so it leaves the epoch where it was.
            ulong? epoch = null;
            foreach (var e in events)
            {
                if (e.Sequence != upTo + 1 || e.Sequence > to)
                {
                    break;
                }

                frames.Add(e);
                upTo = e.Sequence;
                epoch = e.Kind switch
                {
                    EventKind.Commit => e.Epoch + 1,
                    EventKind.Chat => e.Epoch,
                    _ => epoch,
                };
            }

            if (frames.Count == 0)
            {
                break;
            }

            local.Publish(room, frames.Chunks(), frames.Count);
            Interlocked.Add(ref _fromStore, frames.Count);
            cursor.UpTo = upTo;
            reached = (upTo, epoch ?? store.FindRoom(room)?.Epoch ?? 0);
        }

        return reached;
    }

    private void Send(string room, IReadOnlyList<byte[]> chunks, bool fromBus, ulong events)
    {
        local.Publish(room, chunks, (long)events);
        if (fromBus)
        {
            Interlocked.Increment(ref _fromBus);
        }
    }

    private sealed class Cursor(ulong? upTo)
    {
        public readonly Lock Gate = new();
        public bool Known = upTo.HasValue;
        public ulong UpTo = upTo ?? 0;
    }
}
