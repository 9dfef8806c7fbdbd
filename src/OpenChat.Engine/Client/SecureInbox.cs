using System.Threading.Channels;

namespace OpenChat.Engine.Client;

/// <summary>
/// Messages and notices not yet read: handed to readers by room when asked, the rest kept (and
/// saved with the session's state) for a later call, Receive-ChatMessage or the next session.
/// Bounded per room: messages of rooms nobody looks at stay until they are read (issue 9, item
/// 8), but a member of a room this device joined and never reads must not grow its memory and
/// state file without end. Past the bound the oldest unread message of that room is dropped, and
/// the user is told once per room.
/// </summary>
internal sealed class SecureInbox(int maxPerRoom, long maxCharsPerRoom, Action changed)
{
    private readonly Lock _gate = new();
    // Everything not yet taken, in arrival order (what is saved)...
    private readonly List<SecureMessage> _undelivered = [];
    // ...of which the readers are woken through the channel, and what a filtered read passed over is held.
    private readonly Channel<SecureMessage> _arrivals = Channel.CreateUnbounded<SecureMessage>();
    private readonly List<SecureMessage> _held = [];
    private readonly HashSet<SecureMessage> _dropped = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, (int Count, long Chars)> _unreadByRoom = new(StringComparer.Ordinal);
    private readonly HashSet<string> _toldDropping = new(StringComparer.Ordinal);

    /// <summary>Keeps a message until it is read, and hands it to the readers.</summary>
    public void Add(SecureMessage message)
    {
        lock (_gate)
        {
            KeepLocked(message);
        }

        _arrivals.Writer.TryWrite(message);
    }

    /// <summary>No more messages will come (the session's pump ended): readers are told.</summary>
    public void Complete() => _arrivals.Writer.TryComplete();

    public List<SecureMessage> Snapshot()
    {
        lock (_gate)
        {
            return [.. _undelivered];
        }
    }

    /// <summary>Unread messages (not notices) per room; counting takes nothing out of the inbox.</summary>
    public IReadOnlyDictionary<string, int> UnreadCounts()
    {
        lock (_gate)
        {
            return _unreadByRoom.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => r.Value.Count, StringComparer.Ordinal);
        }
    }

    /// <summary>The next message of the rooms <paramref name="filter"/> accepts; others stay held.</summary>
    public async ValueTask<SecureMessage> ReceiveAsync(CancellationToken cancellationToken, Func<SecureMessage, bool>? filter)
    {
        while (true)
        {
            lock (_gate)
            {
                if (TakeHeldLocked(filter) is { } held)
                {
                    return held;
                }
            }

            var next = await _arrivals.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (_dropped.Remove(next))
                {
                    continue; // dropped for the bound while it waited in the channel
                }

                if (filter is null || filter(next))
                {
                    DeliveredLocked(next);
                    return next;
                }

                _held.Add(next);
            }
        }
    }

    /// <summary>The next waiting message of the rooms <paramref name="filter"/> accepts, without blocking.</summary>
    public bool TryReceive(out SecureMessage? message, Func<SecureMessage, bool>? filter)
    {
        lock (_gate)
        {
            while (_arrivals.Reader.TryRead(out var next))
            {
                if (!_dropped.Remove(next))
                {
                    _held.Add(next);
                }
            }

            message = TakeHeldLocked(filter);
            return message is not null;
        }
    }

    private SecureMessage? TakeHeldLocked(Func<SecureMessage, bool>? filter)
    {
        var index = _held.FindIndex(m => filter is null || filter(m));
        if (index < 0)
        {
            return null;
        }

        var message = _held[index];
        _held.RemoveAt(index);
        DeliveredLocked(message);
        return message;
    }

    private void KeepLocked(SecureMessage message)
    {
        _undelivered.Add(message);
        if (message.IsNotice)
        {
            return;
        }

        var (count, chars) = _unreadByRoom.GetValueOrDefault(message.Room);
        _unreadByRoom[message.Room] = (count + 1, chars + message.Text.Length);
        while (_unreadByRoom[message.Room] is var (c, n) && (c > maxPerRoom || n > maxCharsPerRoom) && c > 1)
        {
            var oldest = _undelivered.FindIndex(m => !m.IsNotice && !ReferenceEquals(m, message) && m.Room == message.Room);
            if (oldest < 0)
            {
                break;
            }

            var dropped = _undelivered[oldest];
            _undelivered.RemoveAt(oldest);
            _held.Remove(dropped);
            _dropped.Add(dropped); // it may still be in the channel: skipped when read
            Forget(dropped);
            if (_toldDropping.Add(message.Room))
            {
                var notice = new SecureMessage(message.Room, message.Sequence, "", "", "", message.Time, message.Time, true, ContactTrust.Verified, null, message.Epoch, false, 0)
                {
                    IsNotice = true,
                    Notice = new UnreadDroppedNotice(maxPerRoom, maxCharsPerRoom),
                };
                _undelivered.Add(notice);
                _arrivals.Writer.TryWrite(notice);
            }
        }
    }

    private void Forget(SecureMessage message)
    {
        if (!message.IsNotice && _unreadByRoom.TryGetValue(message.Room, out var unread))
        {
            _unreadByRoom[message.Room] = (Math.Max(0, unread.Count - 1), Math.Max(0, unread.Chars - message.Text.Length));
        }
    }

    private void DeliveredLocked(SecureMessage message)
    {
        if (_undelivered.Remove(message))
        {
            Forget(message);
        }

        changed();
    }
}
