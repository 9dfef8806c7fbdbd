using Microsoft.Data.Sqlite;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Storage;

/// <summary>
/// The statements a batch append runs for every message, prepared once for the writer
/// connection's life instead of once per batch: at a busy server's small batches, preparing
/// them cost as much as the inserts. The insert also does the duplicate check (the unique index
/// on room and message id refuses a second row), so a new message costs one statement, and
/// only a duplicate is looked up.
/// </summary>
internal sealed class SqliteAppendCommands : IDisposable
{
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _find;
    private readonly SqliteCommand _advance;
    private readonly SqliteParameter[] _row;
    private readonly SqliteParameter _findRoom;
    private readonly SqliteParameter _findId;
    private readonly SqliteParameter _advanceLast;
    private readonly SqliteParameter _advanceEpoch;
    private readonly SqliteParameter _advanceRoom;

    public SqliteAppendCommands(SqliteConnection connection)
    {
        _insert = connection.Command("""
            INSERT INTO messages(room, seq, message_id, sender, sender_serial, kind, epoch, time, body)
            VALUES ($r, $s, $m, $from, $serial, $k, $e, $t, $b)
            ON CONFLICT(message_id, room) DO NOTHING
            """);
        _row = new (string Name, SqliteType Type)[]
        {
            ("$r", SqliteType.Text), ("$s", SqliteType.Integer), ("$m", SqliteType.Blob), ("$from", SqliteType.Text), ("$serial", SqliteType.Text),
            ("$k", SqliteType.Integer), ("$e", SqliteType.Integer), ("$t", SqliteType.Integer), ("$b", SqliteType.Blob),
        }.Select(x => _insert.Parameters.Add(x.Name, x.Type)).ToArray();
        _find = connection.Command("SELECT seq, sender, sender_serial, kind, epoch, time, body FROM messages WHERE room = $r AND message_id = $m");
        _findRoom = _find.Parameters.Add("$r", SqliteType.Text);
        _findId = _find.Parameters.Add("$m", SqliteType.Blob);
        _advance = connection.Command("UPDATE rooms SET last_seq = $s, epoch = $e WHERE name = $n");
        _advanceLast = _advance.Parameters.Add("$s", SqliteType.Integer);
        _advanceEpoch = _advance.Parameters.Add("$e", SqliteType.Integer);
        _advanceRoom = _advance.Parameters.Add("$n", SqliteType.Text);
    }

    /// <summary>Runs the statements inside <paramref name="transaction"/> (the batch's).</summary>
    public void Join(SqliteTransaction transaction) => _insert.Transaction = _find.Transaction = _advance.Transaction = transaction;

    /// <summary>Stores <paramref name="request"/> as <paramref name="sequence"/>; false, with
    /// nothing written, when the room already holds a message with its id.</summary>
    public bool TryInsert(AppendRequest request, byte[] messageId, ulong sequence)
    {
        _row[0].Value = request.Room;
        _row[1].Value = (long)sequence;
        _row[2].Value = messageId;
        _row[3].Value = request.Sender;
        _row[4].Value = request.SenderSerial;
        _row[5].Value = (int)request.Kind;
        _row[6].Value = (long)request.Epoch;
        _row[7].Value = request.Time.ToUnixTimeMilliseconds();
        _row[8].Value = request.Body;
        return _insert.ExecuteNonQuery() == 1;
    }

    /// <summary>The stored message of the room with this id, or null.</summary>
    public RoomEvent? Find(string room, Guid id, byte[] messageId)
    {
        _findRoom.Value = room;
        _findId.Value = messageId;
        using var reader = _find.ExecuteReader();
        return reader.Read()
            ? new RoomEvent(room, (ulong)reader.GetInt64(0), id, reader.GetString(1), reader.GetString(2), (EventKind)reader.GetInt32(3),
                (ulong)reader.GetInt64(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), (byte[])reader.GetValue(6))
            : null;
    }

    /// <summary>Records the room's last sequence and epoch.</summary>
    public void Advance(string room, ulong lastSequence, ulong epoch)
    {
        _advanceLast.Value = (long)lastSequence;
        _advanceEpoch.Value = (long)epoch;
        _advanceRoom.Value = room;
        _advance.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _insert.Dispose();
        _find.Dispose();
        _advance.Dispose();
    }
}
