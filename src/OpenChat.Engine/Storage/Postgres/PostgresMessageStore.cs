using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The room log in a PostgreSQL database that several nodes share. It answers every call as
/// <see cref="SqliteMessageStore"/> does; what SQLite gets from having one writer, this store
/// gets from the database: each <see cref="AppendBatch"/> is one transaction that first locks its
/// rooms' rows (FOR UPDATE, names in one fixed order so two nodes never deadlock), so sequences,
/// the duplicate check and the epoch check see everything any node committed before, and a
/// room's sequences stay gap-free and unique across nodes. Every call takes a pooled connection
/// of its own, so history reads never wait for the writer.
/// </summary>
public sealed class PostgresMessageStore : IMessageStore
{
    private const string RoomColumns = "name, kind, last_seq, epoch, created_at";
    private const string EventColumns = "seq, message_id, sender, sender_serial, kind, epoch, time, body";

    private readonly PostgresStoreDatabase _database;

    public PostgresMessageStore(string connectionString, TimeProvider? time = null, ILogger? log = null)
    {
        var logger = log ?? NullLogger.Instance;
        _database = new PostgresStoreDatabase(connectionString, "message store", logger);
        try
        {
            _database.Migrate(PostgresMessageSchema.Part, PostgresMessageSchema.Steps, time ?? TimeProvider.System);
        }
        catch
        {
            _database.Dispose();
            throw;
        }
    }

    public IReadOnlyList<StoredRoom> LoadRooms() => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand($"SELECT {RoomColumns} FROM msg_rooms ORDER BY name COLLATE \"C\"", connection);
        using var reader = command.ExecuteReader();
        var rooms = new List<StoredRoom>();
        while (reader.Read())
        {
            rooms.Add(RoomFrom(reader));
        }

        return rooms;
    });

    public IReadOnlyList<RoomMembership> LoadMembers() => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand("SELECT room, user_name FROM msg_members ORDER BY room COLLATE \"C\", user_norm COLLATE \"C\"", connection);
        using var reader = command.ExecuteReader();
        var members = new List<RoomMembership>();
        while (reader.Read())
        {
            members.Add(new RoomMembership(reader.GetString(0), reader.GetString(1)));
        }

        return members;
    });

    public StoredRoom? FindRoom(string name) => _database.Run(connection => FindRoom(connection, name));

    private static StoredRoom? FindRoom(NpgsqlConnection connection, string name)
    {
        using var command = new NpgsqlCommand($"SELECT {RoomColumns} FROM msg_rooms WHERE name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        using var reader = command.ExecuteReader();
        return reader.Read() ? RoomFrom(reader) : null;
    }

    // A row of SELECT name, kind, last_seq, epoch, created_at FROM msg_rooms.
    private static StoredRoom RoomFrom(DbDataReader reader) =>
        new(reader.GetString(0), (RoomKind)reader.GetInt32(1), (ulong)reader.GetInt64(2), (ulong)reader.GetInt64(3),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));

    public IReadOnlyList<string> LoadMembers(string room) => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand("SELECT user_name FROM msg_members WHERE room = $1 ORDER BY user_norm COLLATE \"C\"", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = room });
        using var reader = command.ExecuteReader();
        var members = new List<string>();
        while (reader.Read())
        {
            members.Add(reader.GetString(0));
        }

        return members;
    });

    public StoredRoom EnsureRoom(string name, RoomKind kind, DateTimeOffset at) => _database.Run(connection =>
    {
        using (var insert = new NpgsqlCommand("INSERT INTO msg_rooms (name, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)kind });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = at.ToUnixTimeMilliseconds() });
            insert.ExecuteNonQuery();
        }

        return FindRoom(connection, name)!;
    });

    public void AddMember(string room, string userName) => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand("INSERT INTO msg_members (room, user_norm, user_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = room });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userName.ToLowerInvariant() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userName });
        command.ExecuteNonQuery();
    });

    public void RemoveMember(string room, string userName) => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand("DELETE FROM msg_members WHERE room = $1 AND user_norm = $2", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = room });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userName.ToLowerInvariant() });
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<AppendResult> AppendBatch(IReadOnlyList<AppendRequest> batch)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        return _database.Run((connection, committing) =>
        {
            using var transaction = connection.BeginTransaction();
            var rooms = LockRooms(connection, transaction, batch);
            var known = FindStored(connection, transaction, batch, rooms);
            var results = new AppendResult[batch.Count];
            var touched = new Dictionary<string, (ulong LastSequence, ulong Epoch)>(StringComparer.Ordinal);
            var stored = new List<RoomEvent>();
            for (var i = 0; i < batch.Count; i++)
            {
                var request = batch[i];
                if (!touched.TryGetValue(request.Room, out var state) && !rooms.TryGetValue(request.Room, out state))
                {
                    results[i] = new AppendResult(AppendOutcome.NoSuchRoom, null, 0);
                    continue;
                }

                if (known.TryGetValue((request.Room, request.MessageId), out var original))
                {
                    results[i] = new AppendResult(AppendOutcome.Duplicate, original, state.Epoch);
                    continue;
                }

                // Commits must build on the current epoch, and chat may not be sent in an ended one.
                if (request.Kind is EventKind.Commit or EventKind.Chat && request.Epoch != state.Epoch)
                {
                    results[i] = new AppendResult(AppendOutcome.StaleEpoch, null, state.Epoch);
                    continue;
                }

                var sequence = state.LastSequence + 1;
                var epoch = request.Kind == EventKind.Commit ? state.Epoch + 1 : state.Epoch;
                var added = new RoomEvent(request.Room, sequence, request.MessageId, request.Sender, request.SenderSerial, request.Kind, request.Epoch, request.Time, request.Body);
                // A second copy later in the same batch is a duplicate of this one, as in SQLite.
                known[(request.Room, request.MessageId)] = added;
                stored.Add(added);
                touched[request.Room] = (sequence, epoch);
                results[i] = new AppendResult(AppendOutcome.Stored, added, epoch);
            }

            if (stored.Count > 0)
            {
                Insert(connection, stored);
                UpdateRooms(connection, transaction, touched);
            }

            // From here a lost connection may hide a commit: no second try, which would turn the
            // batch's own events into duplicates of themselves.
            committing();
            transaction.Commit();
            return (IReadOnlyList<AppendResult>)results;
        });
    }

    // The batch's rooms as they are now, their rows locked until the transaction ends. Locked in
    // the order of their names (bytewise, whatever the database's collation): every node takes
    // the locks of overlapping batches in the same order, so none waits for another in a circle.
    private static Dictionary<string, (ulong LastSequence, ulong Epoch)> LockRooms(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AppendRequest> batch)
    {
        var names = batch.Select(r => r.Room).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        using var command = new NpgsqlCommand(
            "SELECT name, last_seq, epoch FROM msg_rooms WHERE name = ANY($1) ORDER BY name COLLATE \"C\" FOR UPDATE", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
        using var reader = command.ExecuteReader();
        var rooms = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
        while (reader.Read())
        {
            rooms[reader.GetString(0)] = ((ulong)reader.GetInt64(1), (ulong)reader.GetInt64(2));
        }

        return rooms;
    }

    // The events already stored under the batch's message ids, by room and id. Read after the
    // rooms are locked, so a copy another node committed a moment ago is seen here.
    private static Dictionary<(string Room, Guid Id), RoomEvent> FindStored(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<AppendRequest> batch, Dictionary<string, (ulong, ulong)> rooms)
    {
        var found = new Dictionary<(string, Guid), RoomEvent>();
        var candidates = batch.Where(r => rooms.ContainsKey(r.Room)).ToArray();
        if (candidates.Length == 0)
        {
            return found;
        }

        using var command = new NpgsqlCommand(
            $"SELECT room, {EventColumns} FROM msg_messages WHERE (room, message_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = candidates.Select(r => r.Room).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = candidates.Select(r => r.MessageId).ToArray() });
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var room = reader.GetString(0);
            var original = EventFrom(reader, room, 1);
            found[(room, original.MessageId)] = original;
        }

        return found;
    }

    // One binary COPY for all the batch's new events: one round trip, not one per row.
    private static void Insert(NpgsqlConnection connection, List<RoomEvent> events)
    {
        using var copy = connection.BeginBinaryImport(
            "COPY msg_messages (room, seq, message_id, sender, sender_serial, kind, epoch, time, body) FROM STDIN (FORMAT BINARY)");
        foreach (var e in events)
        {
            copy.StartRow();
            copy.Write(e.Room, NpgsqlDbType.Text);
            copy.Write((long)e.Sequence, NpgsqlDbType.Bigint);
            copy.Write(e.MessageId, NpgsqlDbType.Uuid);
            copy.Write(e.Sender, NpgsqlDbType.Text);
            copy.Write(e.SenderSerial, NpgsqlDbType.Text);
            copy.Write((int)e.Kind, NpgsqlDbType.Integer);
            copy.Write((long)e.Epoch, NpgsqlDbType.Bigint);
            copy.Write(e.Time.ToUnixTimeMilliseconds(), NpgsqlDbType.Bigint);
            copy.Write(e.Body, NpgsqlDbType.Bytea);
        }

        copy.Complete();
    }

    private static void UpdateRooms(NpgsqlConnection connection, NpgsqlTransaction transaction, Dictionary<string, (ulong LastSequence, ulong Epoch)> touched)
    {
        using var command = new NpgsqlCommand(
            "UPDATE msg_rooms AS r SET last_seq = u.seq, epoch = u.epoch FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(name, seq, epoch) WHERE r.name = u.name",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = touched.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = touched.Values.Select(s => (long)s.LastSequence).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = touched.Values.Select(s => (long)s.Epoch).ToArray() });
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<RoomEvent> Read(string room, ulong fromSequence, int max, long maxBytes = long.MaxValue) => _database.Run(connection =>
    {
        using var command = ReadCommand(connection, room, fromSequence, max, maxBytes);
        using var reader = command.ExecuteReader();
        var events = new List<RoomEvent>();
        while (reader.Read())
        {
            events.Add(EventFrom(reader, room, 0));
        }

        return (IReadOnlyList<RoomEvent>)events;
    });

    public Task<IReadOnlyList<RoomEvent>> ReadAsync(string room, ulong fromSequence, int max, long maxBytes, CancellationToken cancellationToken) =>
        _database.RunAsync(async connection =>
        {
            await using var command = ReadCommand(connection, room, fromSequence, max, maxBytes);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var events = new List<RoomEvent>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(EventFrom(reader, room, 0));
            }

            return (IReadOnlyList<RoomEvent>)events;
        }, cancellationToken);

    // The byte budget is applied by the database (an event is returned while the bodies before
    // it stay under maxBytes, so the first one always is), so bodies past it never cross the wire.
    private static NpgsqlCommand ReadCommand(NpgsqlConnection connection, string room, ulong fromSequence, int max, long maxBytes)
    {
        var command = new NpgsqlCommand($"""
            SELECT {EventColumns} FROM (
                SELECT {EventColumns}, coalesce(sum(octet_length(body)) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                FROM (SELECT {EventColumns} FROM msg_messages WHERE room = $1 AND seq >= $2 ORDER BY seq LIMIT $3) AS page
            ) AS budget WHERE before < $4 ORDER BY seq
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = room });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)fromSequence });
        // SQLite reads a negative limit as none.
        command.Parameters.Add(new NpgsqlParameter { Value = max < 0 ? DBNull.Value : max, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxBytes });
        return command;
    }

    // A row of SELECT seq, message_id, sender, sender_serial, kind, epoch, time, body from column `first` on.
    private static RoomEvent EventFrom(DbDataReader reader, string room, int first) =>
        new(room, (ulong)reader.GetInt64(first), reader.GetGuid(first + 1), reader.GetString(first + 2), reader.GetString(first + 3),
            (EventKind)reader.GetInt32(first + 4), (ulong)reader.GetInt64(first + 5),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 6)), reader.GetFieldValue<byte[]>(first + 7));

    public long CountMessages() => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand("SELECT count(*) FROM msg_messages", connection);
        return (long)command.ExecuteScalar()!;
    });

    public void Dispose() => _database.Dispose();
}
