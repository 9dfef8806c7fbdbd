using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Engine.Client.History;

/// <summary>
/// The session's side of the history store: what the pump records is queued in memory and written
/// in batches by the session's own loop (<see cref="RunAsync"/>), so the receiving path never
/// waits on the disk; reads flush the queue first, so they see everything received. Read
/// positions and unread counts live here in memory (the store keeps them for the next session):
/// a message from someone else (not a notice, not one of this user's own) past the room's read
/// position is unread until a reader takes it, or a later one of its room, out of the session.
/// A write that fails is logged and counted; the message was delivered regardless.
/// </summary>
internal sealed class SessionHistory : IDisposable
{
    private readonly HistoryStore _store;
    private readonly HistoryKeys _keys;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    // One writer to the file at a time, and a snapshot taken under it, so batches land in order.
    private readonly Lock _writing = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<string, HistoryRoomState> _rooms;
    private readonly HashSet<string> _changedRooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ulong>> _unread = new(StringComparer.Ordinal);
    private List<SecureMessage> _pending = [];
    private int _signalled;
    private int _failures;
    private bool _closed;

    /// <param name="followed">The rooms the session's state already follows, with how far it
    /// processed them: for a new file, their earlier messages were read (and are gone) before
    /// this device kept a history.</param>
    public SessionHistory(string profilePath, HistoryKeys keys, IEnumerable<(string Room, ulong ProcessedThrough)> followed, ILogger log)
    {
        _keys = keys;
        _log = log;
        try
        {
            _store = new HistoryStore(HistoryStore.PathIn(profilePath), keys, log);
        }
        catch
        {
            keys.Dispose();
            throw;
        }

        try
        {
            _rooms = _store.LoadRooms();
            foreach (var message in _store.AfterLastRead())
            {
                CountUnreadLocked(message);
            }
        }
        catch (SqliteException e)
        {
            _store.Dispose();
            keys.Dispose();
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable, $"Cannot read the message history in '{profilePath}': {e.Message}. If {HistoryStore.FileName} is damaged, move it out of the profile to start a new history.", e);
        }

        if (_store.IsNew)
        {
            var earlier = followed.Where(r => r.ProcessedThrough > 0).ToList();
            foreach (var (room, processed) in earlier)
            {
                Change(room, s => s with { EarlierThrough = processed });
            }

            HistoryLog.Created(log, earlier.Count);
        }
    }

    /// <summary>Writes that failed since the session started.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Keeps a record of the room's history: events with a sequence, not the notices
    /// this device makes up itself (a message refused before it was sent, unread ones dropped).</summary>
    public void Record(SecureMessage message)
    {
        if (message.Sequence == 0 || message.Notice is UnreadDroppedNotice)
        {
            return;
        }

        lock (_gate)
        {
            _pending.Add(message);
            CountUnreadLocked(message);
            if (!message.IsNotice && message.Verified)
            {
                ChangeLocked(message.Room, s => s.FirstMessage == 0 ? s with { FirstMessage = message.Sequence } : s);
            }
        }

        Wake();
    }

    /// <summary>A message of the room this device could not read (no key for its epoch): before
    /// its first readable one, the room's history begins before this device's.</summary>
    public void NoteUnreadable(string room, ulong sequence) =>
        Change(room, s => s.FirstMessage == 0 && sequence > s.EarlierThrough ? s with { EarlierThrough = sequence } : s);

    /// <summary>The reader took <paramref name="message"/> out of the session: read up to it.
    /// One's own message or a notice taken past a message of someone else still unread (the chat
    /// screen takes the echo of a /msg without showing that conversation) does not read that one.</summary>
    public void MarkRead(SecureMessage message)
    {
        if (message.Sequence == 0)
        {
            return;
        }

        lock (_gate)
        {
            if ((message.IsOwn || message.IsNotice) && _unread.GetValueOrDefault(message.Room) is { Count: > 0 } unread && unread.Min < message.Sequence)
            {
                return;
            }
        }

        Change(message.Room, s => message.Sequence > s.LastRead ? s with { LastRead = message.Sequence } : s);
        lock (_gate)
        {
            _unread.GetValueOrDefault(message.Room)?.RemoveWhere(s => s <= message.Sequence);
        }
    }

    public ulong LastRead(string room)
    {
        lock (_gate)
        {
            return _rooms.GetValueOrDefault(Tag(room)).LastRead;
        }
    }

    public IReadOnlyDictionary<string, int> UnreadCounts()
    {
        lock (_gate)
        {
            return _unread.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => r.Value.Count, StringComparer.Ordinal);
        }
    }

    public IReadOnlyList<SecureMessage> Get(HistoryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        Flush();
        return Reading(() => _store.Query(query));
    }

    public HistoryBeginning? Beginning(string room)
    {
        Flush();
        if (Reading(() => _store.First(room)) is not { } first)
        {
            return null;
        }

        lock (_gate)
        {
            return new HistoryBeginning(first.Sequence, first.Time, _rooms.GetValueOrDefault(Tag(room)).EarlierThrough > 0);
        }
    }

    /// <summary>Writes what is queued, in batches as it comes, until the session closes.</summary>
    public async Task RunAsync(CancellationToken closing)
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(closing).ConfigureAwait(false);
                Flush();
            }
        }
        catch (OperationCanceledException)
        {
            // Closing: the session flushes what is left.
        }
        catch (Exception e)
        {
            _log.Failed(e, "secure.history.loop");
        }
    }

    /// <summary>Writes what is queued now. A failure is logged and counted, never thrown.</summary>
    public void Flush()
    {
        lock (_writing)
        {
            if (_closed)
            {
                return; // a reader's mark after the session closed: the next session knows it from its inbox
            }

            Interlocked.Exchange(ref _signalled, 0);
            List<SecureMessage> messages;
            List<KeyValuePair<string, HistoryRoomState>> rooms;
            lock (_gate)
            {
                messages = _pending;
                _pending = [];
                rooms = _changedRooms.Select(t => new KeyValuePair<string, HistoryRoomState>(t, _rooms[t])).ToList();
                _changedRooms.Clear();
            }

            try
            {
                if (messages.Count > 0)
                {
                    _store.Append(messages);
                }

                if (rooms.Count > 0)
                {
                    _store.SaveRooms(rooms);
                }
            }
            catch (Exception e)
            {
                // Whatever it was (the disk, SQLite, a record that would not serialize), it must not
                // stop the writer or reach the session's reader or its closing: the messages were
                // delivered; only their copy on the disk is missing. The rooms'
                // positions are tried again with the next batch.
                Interlocked.Increment(ref _failures);
                EngineLog.FailureCounter.Add(1, new KeyValuePair<string, object?>("where", "secure.history.write"));
                HistoryLog.NotWritten(_log, messages.Count, e.GetType().Name);
                lock (_gate)
                {
                    _changedRooms.UnionWith(rooms.Select(r => r.Key));
                }
            }
        }
    }

    /// <summary>Call once <see cref="RunAsync"/> has ended: writes the rest and closes the file.</summary>
    public void Dispose()
    {
        Flush();
        lock (_writing)
        {
            _closed = true;
            _store.Dispose();
            _keys.Dispose();
        }
    }

    private T Reading<T>(Func<T> read)
    {
        try
        {
            lock (_writing)
            {
                return _closed
                    ? throw new OpenChatException(ErrorIds.NotConnected, ErrorKind.InvalidOperation, "The session is closed; connect again to read its history.")
                    : read();
            }
        }
        catch (SqliteException e)
        {
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable, $"The message history cannot be read: {e.Message}", e);
        }
    }

    private void Change(string room, Func<HistoryRoomState, HistoryRoomState> change)
    {
        lock (_gate)
        {
            ChangeLocked(room, change);
        }

        Wake();
    }

    private void ChangeLocked(string room, Func<HistoryRoomState, HistoryRoomState> change)
    {
        var tag = Tag(room);
        var before = _rooms.GetValueOrDefault(tag);
        var after = change(before);
        if (after != before)
        {
            _rooms[tag] = after;
            _changedRooms.Add(tag);
        }
    }

    private void CountUnreadLocked(SecureMessage message)
    {
        if (message.IsNotice || message.IsOwn || message.Sequence <= _rooms.GetValueOrDefault(Tag(message.Room)).LastRead)
        {
            return;
        }

        if (!_unread.TryGetValue(message.Room, out var unread))
        {
            _unread[message.Room] = unread = [];
        }

        unread.Add(message.Sequence);
    }

    private string Tag(string room) => Convert.ToHexString(_keys.RoomTag(room));

    private void Wake()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _wake.Release();
        }
    }
}
