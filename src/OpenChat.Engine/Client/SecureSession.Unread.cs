namespace OpenChat.Engine.Client;

/// <summary>
/// What a session keeps of messages not yet read: everything, up to a bound per room. Messages of
/// rooms nobody looks at stay until they are read (issue 9, item 8), and they are saved with the
/// session's state; without a bound, a member of a room this device joined but never reads could
/// grow its memory and state file without end. Past the bound the oldest unread message of that
/// room is dropped, and the user is told once per room.
/// </summary>
public sealed partial class SecureSession
{
    private readonly Dictionary<string, (int Count, long Chars)> _unreadByRoom = new(StringComparer.Ordinal);
    private readonly HashSet<SecureMessage> _dropped = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _toldDropping = new(StringComparer.Ordinal);

    /// <summary>Unread messages (not notices) per room; counting takes nothing out of the inbox.</summary>
    public IReadOnlyDictionary<string, int> UnreadCounts()
    {
        lock (_gate)
        {
            return _unreadByRoom.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => r.Value.Count, StringComparer.Ordinal);
        }
    }

    // Keeps a message until it is read, and hands it to the readers. Called under _gate.
    private void KeepLocked(SecureMessage message)
    {
        _undelivered.Add(message);
        if (message.IsNotice)
        {
            return;
        }

        var (count, chars) = _unreadByRoom.GetValueOrDefault(message.Room);
        _unreadByRoom[message.Room] = (count + 1, chars + message.Text.Length);
        while (_unreadByRoom[message.Room] is var (c, n) && (c > _client.MaxUnreadPerRoom || n > _client.MaxUnreadCharsPerRoom) && c > 1)
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
                var notice = new SecureMessage(message.Room, message.Sequence, "", "",
                    $"Unread messages of this room beyond {_client.MaxUnreadPerRoom:N0} (or {_client.MaxUnreadCharsPerRoom / 1024 / 1024:N0} MiB of text) are dropped on this device, oldest first. Read them (Receive-ChatMessage -Room) to keep up.",
                    message.Time, message.Time, true, ContactTrust.Verified, null, message.Epoch, false, 0)
                {
                    IsNotice = true,
                };
                _undelivered.Add(notice);
                _inbox.Writer.TryWrite(notice);
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

    // Taken by a reader. Called under _gate.
    private void DeliveredLocked(SecureMessage message)
    {
        if (_undelivered.Remove(message))
        {
            Forget(message);
        }

        Interlocked.Exchange(ref _dirty, 1);
    }

    // A message dropped for the bound while it waited in the channel is skipped. Called under _gate.
    private bool SkipDroppedLocked(SecureMessage message) => _dropped.Remove(message);
}
