using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Storage;

/// <summary>
/// The embedded room log: messages.db in the data directory, WAL mode with synchronous=FULL so
/// that an acknowledged batch survives a crash of the process or the machine. One connection for
/// the writer (the server's log thread) and small reads, and a second, read-only one for history,
/// so that a client catching up never holds up everyone's publishes.
/// </summary>
public sealed class SqliteMessageStore : IMessageStore
{
    public const string FileName = "messages.db";

    // How long a statement waits for another connection's lock (a history read, a backup).
    private const int BusyTimeoutMs = 30_000;

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly string _path;
    // A semaphore, not a lock: a history read waits for another one without holding a thread.
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly ILogger _log;
    private SqliteConnection? _reader;
    private SqliteAppendCommands? _appends;
    private bool _disposed;
    private readonly Dictionary<string, (ulong LastSequence, ulong Epoch)> _rooms = new(StringComparer.Ordinal);

    public SqliteMessageStore(string path, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        SecureFile.Touch(path);
        _path = path;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        try
        {
            _connection.Open();
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable, $"Cannot open the message store at '{path}': {e.Message}", e);
        }

        // A 32 MB page cache keeps the rooms' recent index pages in memory, so the duplicate check
        // and the append of a busy batch do not read them back from the file each time.
        Execute($"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA cache_size=-32768;");
        try
        {
            if (MessageStoreSchema.Read(_connection) is var found && found < MessageStoreSchema.Version && HasMessagesTable() && CountMessages() is > 0 and var held)
            {
                MessageStoreLog.Upgrading(_log, path, found, MessageStoreSchema.Version, held);
            }

            var from = MessageStoreSchema.Upgrade(_connection, path, new Backup.PreUpgradeBackup(path, _log));
            if (from != MessageStoreSchema.Version)
            {
                MessageStoreLog.Upgraded(_log, path, from, MessageStoreSchema.Version);
                TruncateLog(path);
            }
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        foreach (var room in LoadRooms())
        {
            _rooms[room.Name] = (room.LastSequence, room.Epoch);
        }
    }

    public IReadOnlyList<StoredRoom> LoadRooms()
    {
        lock (_gate)
        {
            using var command = Command("SELECT name, kind, last_seq, epoch, created_at FROM rooms ORDER BY name");
            using var reader = command.ExecuteReader();
            var rooms = new List<StoredRoom>();
            while (reader.Read())
            {
                rooms.Add(RoomFrom(reader));
            }

            return rooms;
        }
    }

    public IReadOnlyList<RoomMembership> LoadMembers()
    {
        lock (_gate)
        {
            using var command = Command("SELECT room, user_name FROM members ORDER BY room, user_norm");
            using var reader = command.ExecuteReader();
            var members = new List<RoomMembership>();
            while (reader.Read())
            {
                members.Add(new RoomMembership(reader.GetString(0), reader.GetString(1)));
            }

            return members;
        }
    }

    public StoredRoom? FindRoom(string name)
    {
        lock (_gate)
        {
            using var command = Command("SELECT name, kind, last_seq, epoch, created_at FROM rooms WHERE name = $n", ("$n", name));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var room = RoomFrom(reader);
            // A room another writer created becomes one this store appends to.
            _rooms.TryAdd(name, (room.LastSequence, room.Epoch));
            return room;
        }
    }

    // A row of SELECT name, kind, last_seq, epoch, created_at FROM rooms.
    private static StoredRoom RoomFrom(SqliteDataReader reader) =>
        new(reader.GetString(0), (RoomKind)reader.GetInt32(1), (ulong)reader.GetInt64(2), (ulong)reader.GetInt64(3),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));

    public IReadOnlyList<string> LoadMembers(string room)
    {
        lock (_gate)
        {
            using var command = Command("SELECT user_name FROM members WHERE room = $r ORDER BY user_norm", ("$r", room));
            using var reader = command.ExecuteReader();
            var members = new List<string>();
            while (reader.Read())
            {
                members.Add(reader.GetString(0));
            }

            return members;
        }
    }

    public StoredRoom EnsureRoom(string name, RoomKind kind, DateTimeOffset at)
    {
        lock (_gate)
        {
            using (var insert = Command("INSERT INTO rooms(name, kind, created_at) VALUES ($n, $k, $t) ON CONFLICT(name) DO NOTHING",
                       ("$n", name), ("$k", (int)kind), ("$t", at.ToUnixTimeMilliseconds())))
            {
                insert.ExecuteNonQuery();
            }

            return FindRoom(name)!;
        }
    }

    public void AddMember(string room, string userName)
    {
        lock (_gate)
        {
            using var command = Command("INSERT INTO members(room, user_norm, user_name) VALUES ($r, $u, $n) ON CONFLICT DO NOTHING",
                ("$r", room), ("$u", userName.ToLowerInvariant()), ("$n", userName));
            command.ExecuteNonQuery();
        }
    }

    public void RemoveMember(string room, string userName)
    {
        lock (_gate)
        {
            using var command = Command("DELETE FROM members WHERE room = $r AND user_norm = $u", ("$r", room), ("$u", userName.ToLowerInvariant()));
            command.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<AppendResult> AppendBatch(IReadOnlyList<AppendRequest> batch)
    {
        lock (_gate)
        {
            var results = new AppendResult[batch.Count];
            var touched = new Dictionary<string, (ulong LastSequence, ulong Epoch)>(StringComparer.Ordinal);
            using var transaction = _connection.BeginTransaction();
            var commands = _appends ??= new SqliteAppendCommands(_connection);
            commands.Join(transaction);
            for (var i = 0; i < batch.Count; i++)
            {
                var request = batch[i];
                if (!touched.TryGetValue(request.Room, out var state) && !_rooms.TryGetValue(request.Room, out state))
                {
                    results[i] = new AppendResult(AppendOutcome.NoSuchRoom, null, 0);
                    continue;
                }

                var messageId = request.MessageId.ToByteArray(bigEndian: true);
                // A resend is answered with the original even when the epoch has moved on since.
                // Commits must build on the current epoch, and chat may not be sent in an ended one.
                if (request.Kind is EventKind.Commit or EventKind.Chat && request.Epoch != state.Epoch)
                {
                    results[i] = commands.Find(request.Room, request.MessageId, messageId) is { } stored
                        ? new AppendResult(AppendOutcome.Duplicate, stored, state.Epoch)
                        : new AppendResult(AppendOutcome.StaleEpoch, null, state.Epoch);
                    continue;
                }

                var sequence = state.LastSequence + 1;
                if (!commands.TryInsert(request, messageId, sequence))
                {
                    var original = commands.Find(request.Room, request.MessageId, messageId)
                        ?? throw new InvalidOperationException("The message store refused a message as a duplicate but holds no message with its id.");
                    results[i] = new AppendResult(AppendOutcome.Duplicate, original, state.Epoch);
                    continue;
                }

                var epoch = request.Kind == EventKind.Commit ? state.Epoch + 1 : state.Epoch;
                touched[request.Room] = (sequence, epoch);
                results[i] = new AppendResult(AppendOutcome.Stored,
                    new RoomEvent(request.Room, sequence, request.MessageId, request.Sender, request.SenderSerial, request.Kind, request.Epoch, request.Time, request.Body),
                    epoch);
            }

            foreach (var (room, state) in touched)
            {
                commands.Advance(room, state.LastSequence, state.Epoch);
            }

            transaction.Commit();
            foreach (var (room, state) in touched)
            {
                _rooms[room] = state;
            }

            return results;
        }
    }

    public IReadOnlyList<RoomEvent> Read(string room, ulong fromSequence, int max, long maxBytes = long.MaxValue)
    {
        _readGate.Wait();
        try
        {
            return ReadHeld(room, fromSequence, max, maxBytes, CancellationToken.None);
        }
        finally
        {
            _readGate.Release();
        }
    }

    public async Task<IReadOnlyList<RoomEvent>> ReadAsync(string room, ulong fromSequence, int max, long maxBytes, CancellationToken cancellationToken)
    {
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // SQLite has no asynchronous reads: the query runs on a pool thread, so the caller's
            // thread (a connection's read loop) is not the one that waits for the file.
            return await Task.Run(() => ReadHeld(room, fromSequence, max, maxBytes, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _readGate.Release();
        }
    }

    // With _readGate held.
    private List<RoomEvent> ReadHeld(string room, ulong fromSequence, int max, long maxBytes, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // WAL lets this connection read the last committed state while the writer goes on.
        _reader ??= OpenReader();
        using var command = _reader.CreateCommand();
        command.CommandText = """
            SELECT seq, message_id, sender, sender_serial, kind, epoch, time, body FROM messages
            WHERE room = $r AND seq >= $from ORDER BY seq LIMIT $max
            """;
        command.Parameters.AddWithValue("$r", room);
        command.Parameters.AddWithValue("$from", (long)fromSequence);
        command.Parameters.AddWithValue("$max", max);
        using var reader = command.ExecuteReader();
        var events = new List<RoomEvent>();
        var bytes = 0L;
        while (bytes < maxBytes && reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var body = (byte[])reader.GetValue(7);
            bytes += body.Length;
            events.Add(new RoomEvent(room, (ulong)reader.GetInt64(0), new Guid((byte[])reader.GetValue(1), bigEndian: true), reader.GetString(2),
                reader.GetString(3), (EventKind)reader.GetInt32(4), (ulong)reader.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), body));
        }

        return events;
    }

    private SqliteConnection OpenReader()
    {
        var reader = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        reader.Open();
        using var pragma = reader.CreateCommand();
        pragma.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMs};";
        pragma.ExecuteNonQuery();
        return reader;
    }

    // A step that rewrites the messages table passes all of it through the write-ahead log,
    // which SQLite would keep at that size afterwards: copied into the file and truncated, so
    // the upgrade leaves no log as large as the store. Another process reading the file (an
    // admin's sqlite3) holds the log; the server waits a little, then starts with it as it is.
    private void TruncateLog(string path)
    {
        Execute("PRAGMA busy_timeout=2000;");
        try
        {
            using var checkpoint = Command("PRAGMA wal_checkpoint(TRUNCATE);");
            using var result = checkpoint.ExecuteReader();
            if (result.Read() && result.GetInt64(0) != 0)
            {
                MessageStoreLog.LogNotTruncated(_log, path, new FileInfo(path + "-wal").Length);
            }
        }
        finally
        {
            Execute($"PRAGMA busy_timeout={BusyTimeoutMs};");
        }
    }

    // Before the schema steps: a new file has no messages table yet.
    private bool HasMessagesTable()
    {
        using var exists = Command("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'messages'");
        return (long)exists.ExecuteScalar()! > 0;
    }

    public long CountMessages()
    {
        lock (_gate)
        {
            using var command = Command("SELECT COUNT(*) FROM messages");
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <summary>Reads the file on disk afresh as well as through the open connection: a file
    /// deleted or replaced under a running server leaves the open connection working on what is
    /// no longer there, and only a new connection notices.</summary>
    public void CheckHealth()
    {
        FindRoom("openchat-health-check");
        using var fresh = OpenReader();
        using var command = fresh.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master";
        command.ExecuteScalar();
    }

    public void Dispose()
    {
        _readGate.Wait();
        try
        {
            _disposed = true;
            _reader?.Dispose();
            _reader = null;
        }
        finally
        {
            _readGate.Release();
        }

        lock (_gate)
        {
            _appends?.Dispose();
            _connection.Dispose();
        }
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] args) => _connection.Command(sql, args);
}
