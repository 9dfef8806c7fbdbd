using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace OpenChat.Engine.Server;

/// <summary>The event bus of a single server: subscriptions in memory, delivery straight into
/// the subscribed channels' send queues.</summary>
internal sealed class LocalRoomEventBus : IRoomEventBus
{
    private readonly Lock _gate = new();
    // Copy-on-write per room: the fan-out reads a snapshot without locking.
    private readonly ConcurrentDictionary<string, ImmutableArray<IClientChannel>> _subscribers = new(StringComparer.Ordinal);

    private long _delivered;

    public bool SpansNodes => false;

    /// <summary>Room events put in subscribers' queues (one per event and subscriber), for the metrics.</summary>
    public long EventsDelivered => Interlocked.Read(ref _delivered);

    public void Subscribe(string room, IClientChannel channel)
    {
        lock (_gate)
        {
            var current = _subscribers.GetValueOrDefault(room, []);
            if (!current.Contains(channel))
            {
                _subscribers[room] = current.Add(channel);
            }
        }
    }

    public void Unsubscribe(string room, IClientChannel channel)
    {
        lock (_gate)
        {
            if (_subscribers.TryGetValue(room, out var current))
            {
                var left = current.Remove(channel);
                if (left.IsEmpty)
                {
                    _subscribers.TryRemove(room, out _);
                }
                else
                {
                    _subscribers[room] = left;
                }
            }
        }
    }

    public bool HasSubscribers(string room) => _subscribers.TryGetValue(room, out var current) && !current.IsEmpty;

    public IReadOnlyList<IClientChannel> Subscribers(string room) => _subscribers.GetValueOrDefault(room, []);

    public void PublishCommitted(string room, ulong firstSequence, ulong lastSequence, ulong epoch, IReadOnlyList<byte[]> chunks) =>
        Publish(room, chunks, (long)(lastSequence - firstSequence + 1));

    // Alone, nothing else changes the rooms or learns of revocations.
    public void AnnounceRoomChanged(string room)
    {
    }

    public void AnnounceRevoked(IReadOnlyList<string> serials)
    {
    }

    public void Attach(IRoomEventBusHost host)
    {
    }

    public void Publish(string room, IReadOnlyList<byte[]> chunks) => Publish(room, chunks, 0);

    /// <summary>Delivers chunks that hold <paramref name="events"/> committed room events (0 for
    /// presence), counting them once per subscriber that took them all.</summary>
    public void Publish(string room, IReadOnlyList<byte[]> chunks, long events)
    {
        if (!_subscribers.TryGetValue(room, out var subscribers))
        {
            return;
        }

        var took = 0;
        foreach (var subscriber in subscribers)
        {
            var all = true;
            foreach (var chunk in chunks)
            {
                // A subscriber too slow to take a chunk has closed itself; the others go on.
                if (!subscriber.Send(chunk))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                took++;
            }
        }

        if (events > 0 && took > 0)
        {
            Interlocked.Add(ref _delivered, events * took);
        }
    }
}
