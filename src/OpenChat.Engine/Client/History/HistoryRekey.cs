using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OpenChat.Engine.Client.History;

/// <summary>
/// Re-seals history.db from one identity key's <see cref="HistoryKeys"/> to another's, for a device
/// that moves to a new key: every record is opened under the old keys and sealed under the new
/// ones, in its room's new tag (the room is read from the record itself), the per-room rows move
/// to the new tags, and the key check is sealed anew, all in one transaction. A record that does
/// not open under the old keys is dropped (it could not be read before either).
/// </summary>
internal static class HistoryRekey
{
    private static readonly byte[] KeyCheckText = "OpenChat history key check"u8.ToArray();

    /// <summary>True when the file's key check opens under <paramref name="keys"/> (or there is no file).</summary>
    public static bool OpensUnder(string path, HistoryKeys keys)
    {
        if (!File.Exists(path))
        {
            return true;
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT data FROM key_check WHERE id = 1";
        try
        {
            return read.ExecuteScalar() is not byte[] sealedCheck || keys.Open(sealedCheck, new byte[32], 0).AsSpan().SequenceEqual(KeyCheckText);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <param name="knownRooms">Rooms that may have a per-room row and no record (from the session state).</param>
    public static void Run(string path, HistoryKeys previous, HistoryKeys next, IEnumerable<string> knownRooms)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var transaction = connection.BeginTransaction();
        var tags = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var room in knownRooms)
        {
            tags[Convert.ToHexString(previous.RoomTag(room))] = next.RoomTag(room);
        }

        var records = new List<(byte[] Tag, long Sequence, long Time, byte[] Data)>();
        using (var read = Command(connection, transaction, "SELECT room_tag, seq, time, data FROM messages"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                var tag = (byte[])reader[0];
                var sequence = reader.GetInt64(1);
                byte[] plaintext;
                try
                {
                    plaintext = previous.Open((byte[])reader[3], tag, (ulong)sequence);
                }
                catch (CryptographicException)
                {
                    continue;
                }

                var room = JsonSerializer.Deserialize(plaintext, HistoryJson.Default.SecureMessage)?.Room ?? "";
                var newTag = next.RoomTag(room);
                tags[Convert.ToHexString(tag)] = newTag;
                records.Add((newTag, sequence, reader.GetInt64(2), next.Seal(plaintext, newTag, (ulong)sequence)));
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }

        Execute(connection, transaction, "DELETE FROM messages");
        foreach (var (tag, sequence, time, data) in records)
        {
            using var insert = Command(connection, transaction, "INSERT OR IGNORE INTO messages (room_tag, seq, time, data) VALUES ($tag, $seq, $time, $data)");
            insert.Parameters.AddWithValue("$tag", tag);
            insert.Parameters.AddWithValue("$seq", sequence);
            insert.Parameters.AddWithValue("$time", time);
            insert.Parameters.AddWithValue("$data", data);
            insert.ExecuteNonQuery();
        }

        MoveRoomRows(connection, transaction, tags);
        using (var check = Command(connection, transaction, "INSERT OR REPLACE INTO key_check (id, data) VALUES (1, $data)"))
        {
            check.Parameters.AddWithValue("$data", next.Seal(KeyCheckText, new byte[32], 0));
            check.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    // A room's read position and beginnings go with it to its new tag; a row whose room is not
    // known (no record, not in the state) cannot be named any more and goes.
    private static void MoveRoomRows(SqliteConnection connection, SqliteTransaction transaction, Dictionary<string, byte[]> tags)
    {
        var rows = new List<(byte[] Tag, long LastRead, long Earlier, long First)>();
        using (var read = Command(connection, transaction, "SELECT room_tag, last_read, earlier_through, first_message FROM rooms"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                if (tags.TryGetValue(Convert.ToHexString((byte[])reader[0]), out var tag))
                {
                    rows.Add((tag, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }
        }

        Execute(connection, transaction, "DELETE FROM rooms");
        foreach (var (tag, lastRead, earlier, first) in rows)
        {
            using var insert = Command(connection, transaction,
                "INSERT OR REPLACE INTO rooms (room_tag, last_read, earlier_through, first_message) VALUES ($tag, $read, $earlier, $first)");
            insert.Parameters.AddWithValue("$tag", tag);
            insert.Parameters.AddWithValue("$read", lastRead);
            insert.Parameters.AddWithValue("$earlier", earlier);
            insert.Parameters.AddWithValue("$first", first);
            insert.ExecuteNonQuery();
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }
}
