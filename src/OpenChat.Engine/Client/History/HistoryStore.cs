using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client.History;

/// <summary>What the store keeps per room besides its records: the read position, the last
/// sequence of a message this device could not read before its first readable one (0: none),
/// and the sequence of that first readable message (0: none yet).</summary>
internal readonly record struct HistoryRoomState(ulong LastRead, ulong EarlierThrough, ulong FirstMessage);

/// <summary>
/// history.db in the profile: every message, notice and refusal of the rooms this device follows,
/// one sealed record per (room, sequence) (<see cref="HistoryKeys"/>, <see cref="HistorySchema"/>).
/// Synchronous and serialised on one connection; <see cref="SessionHistory"/> keeps it off the
/// receiving path. A record that does not open is skipped (and logged), never fatal.
/// </summary>
internal sealed class HistoryStore : IDisposable
{
    public const string FileName = "history.db";

    private static readonly byte[] KeyCheckText = "OpenChat history key check"u8.ToArray();
    private static readonly byte[] KeyCheckTag = new byte[32];
    private readonly SqliteConnection _connection;
    private readonly HistoryKeys _keys;
    private readonly ILogger _log;
    private readonly Lock _gate = new();

    /// <exception cref="OpenChatException">StoreVersionUnsupported (a newer file), StoreUnavailable
    /// (not a database, or sealed under another identity's key).</exception>
    public HistoryStore(string path, HistoryKeys keys, ILogger log)
    {
        _keys = keys;
        _log = log;
        // Owner-only before SQLite opens it: the -wal and -shm files take the database's mode.
        SecureFile.Touch(path);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        try
        {
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
            IsNew = HistorySchema.Upgrade(_connection, path) == 0;
            CheckKey(path);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable, $"Cannot open the message history at '{path}': {e.Message}. If the file is damaged, move it (and any -wal and -shm beside it) out of the profile: the next session starts a new history, and what the old one held stays unreadable here.", e);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public static string PathIn(string profilePath) => Path.Combine(profilePath, FileName);

    /// <summary>The file was created by this open (no earlier history on this device).</summary>
    public bool IsNew { get; }

    /// <summary>Stores the messages not stored yet, in one transaction; returns how many were new.</summary>
    public int Append(IEnumerable<SecureMessage> messages)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var command = Command("INSERT OR IGNORE INTO messages (room_tag, seq, time, data) VALUES ($tag, $seq, $time, $data)");
            command.Transaction = transaction;
            var added = 0;
            foreach (var message in messages)
            {
                var tag = _keys.RoomTag(message.Room);
                var plaintext = JsonSerializer.SerializeToUtf8Bytes(message, HistoryJson.Default.SecureMessage);
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$tag", tag);
                command.Parameters.AddWithValue("$seq", (long)message.Sequence);
                command.Parameters.AddWithValue("$time", message.Time.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$data", _keys.Seal(plaintext, tag, message.Sequence));
                CryptographicOperations.ZeroMemory(plaintext);
                added += command.ExecuteNonQuery();
            }

            transaction.Commit();
            return added;
        }
    }

    /// <summary>Writes the rooms' states (keyed by room tag, in hex) as they are now.</summary>
    public void SaveRooms(IReadOnlyCollection<KeyValuePair<string, HistoryRoomState>> rooms)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var command = Command("""
                INSERT INTO rooms (room_tag, last_read, earlier_through, first_message) VALUES ($tag, $read, $earlier, $first)
                ON CONFLICT (room_tag) DO UPDATE SET last_read = excluded.last_read, earlier_through = excluded.earlier_through, first_message = excluded.first_message
                """);
            command.Transaction = transaction;
            foreach (var (tag, state) in rooms)
            {
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$tag", Convert.FromHexString(tag));
                command.Parameters.AddWithValue("$read", (long)state.LastRead);
                command.Parameters.AddWithValue("$earlier", (long)state.EarlierThrough);
                command.Parameters.AddWithValue("$first", (long)state.FirstMessage);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    /// <summary>Every room's state, keyed by its tag in hex.</summary>
    public Dictionary<string, HistoryRoomState> LoadRooms()
    {
        lock (_gate)
        {
            using var command = Command("SELECT room_tag, last_read, earlier_through, first_message FROM rooms");
            using var reader = command.ExecuteReader();
            var rooms = new Dictionary<string, HistoryRoomState>(StringComparer.Ordinal);
            while (reader.Read())
            {
                rooms[Convert.ToHexString((byte[])reader[0])] = new HistoryRoomState((ulong)reader.GetInt64(1), (ulong)reader.GetInt64(2), (ulong)reader.GetInt64(3));
            }

            return rooms;
        }
    }

    /// <summary>The records after each room's read position (what may count as unread).</summary>
    public List<SecureMessage> AfterLastRead()
    {
        lock (_gate)
        {
            return Read(Command("""
                SELECT m.room_tag, m.seq, m.data FROM messages m LEFT JOIN rooms r ON r.room_tag = m.room_tag
                WHERE m.seq > COALESCE(r.last_read, 0) ORDER BY m.seq
                """), _ => true, int.MaxValue);
        }
    }

    /// <summary>The first readable record of a room, or null when none is stored.</summary>
    public SecureMessage? First(string room)
    {
        lock (_gate)
        {
            var command = Command("SELECT room_tag, seq, data FROM messages WHERE room_tag = $tag ORDER BY seq");
            command.Parameters.AddWithValue("$tag", _keys.RoomTag(room));
            return Read(command, _ => true, 1).FirstOrDefault();
        }
    }

    /// <summary>What <paramref name="query"/> asks for, newest last.</summary>
    public List<SecureMessage> Query(HistoryQuery query)
    {
        if (query.BeforeSequence is not null && query.Room is null)
        {
            throw new ArgumentException("BeforeSequence pages back through one room: give Room too.", nameof(query));
        }

        var where = new List<string>();
        var command = Command("");
        if (query.Room is { } room)
        {
            where.Add("room_tag = $tag");
            command.Parameters.AddWithValue("$tag", _keys.RoomTag(room));
        }

        if (query.BeforeSequence is { } beforeSequence)
        {
            where.Add("seq < $beforeSeq");
            command.Parameters.AddWithValue("$beforeSeq", (long)Math.Min(beforeSequence, long.MaxValue));
        }

        // The clear times are in milliseconds; the exact bounds are checked on each record below.
        if (query.Since is { } since)
        {
            where.Add("time >= $since");
            command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        }

        if (query.Before is { } before)
        {
            where.Add("time <= $before");
            command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        }

        // One room in its own order; several in the order the server stored them.
        command.CommandText = "SELECT room_tag, seq, data FROM messages"
            + (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))
            + (query.Room is null ? " ORDER BY time DESC, seq DESC" : " ORDER BY seq DESC");
        List<SecureMessage> newestFirst;
        lock (_gate)
        {
            newestFirst = Read(command, query.Accepts, query.Last ?? int.MaxValue);
        }

        newestFirst.Reverse();
        return newestFirst;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    // Opens each row in the command's order until `limit` are accepted; rows that do not open are skipped.
    private List<SecureMessage> Read(SqliteCommand command, Func<SecureMessage, bool> accepts, int limit)
    {
        using (command)
        {
            using var reader = command.ExecuteReader();
            var found = new List<SecureMessage>();
            while (found.Count < limit && reader.Read())
            {
                var sequence = (ulong)reader.GetInt64(1);
                SecureMessage? message;
                try
                {
                    var plaintext = _keys.Open((byte[])reader[2], (byte[])reader[0], sequence);
                    message = JsonSerializer.Deserialize(plaintext, HistoryJson.Default.SecureMessage);
                    CryptographicOperations.ZeroMemory(plaintext);
                }
                catch (Exception e) when (e is CryptographicException or JsonException or InvalidCastException or NotSupportedException)
                {
                    HistoryLog.RecordUnreadable(_log, sequence, e.GetType().Name);
                    continue;
                }

                if (message is not null && message.Sequence == sequence && accepts(message))
                {
                    found.Add(message);
                }
            }

            return found;
        }
    }

    // The key check: a file sealed under another identity's key is refused as a whole, instead of
    // every record being skipped one by one.
    private void CheckKey(string path)
    {
        using var read = Command("SELECT data FROM key_check WHERE id = 1");
        if (read.ExecuteScalar() is byte[] sealedCheck)
        {
            try
            {
                if (_keys.Open(sealedCheck, KeyCheckTag, 0).AsSpan().SequenceEqual(KeyCheckText))
                {
                    return;
                }
            }
            catch (CryptographicException)
            {
                // Answered below.
            }

            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.InvalidData,
                $"The message history at '{path}' was written under another identity's key and cannot be read with this one. Move it away to start a new history.");
        }

        using var write = Command("INSERT INTO key_check (id, data) VALUES (1, $data)");
        write.Parameters.AddWithValue("$data", _keys.Seal(KeyCheckText, KeyCheckTag, 0));
        write.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
