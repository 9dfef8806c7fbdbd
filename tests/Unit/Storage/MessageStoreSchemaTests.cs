using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

public class MessageStoreSchemaTests
{
    // messages.db as OpenChat wrote it before the store had a schema version (user_version 0).
    private const string UnversionedLayout = """
        CREATE TABLE rooms (name TEXT PRIMARY KEY, kind INTEGER NOT NULL, created_at INTEGER NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0, epoch INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE members (room TEXT NOT NULL, user_norm TEXT NOT NULL, user_name TEXT NOT NULL, PRIMARY KEY (room, user_norm));
        CREATE TABLE messages (room TEXT NOT NULL, seq INTEGER NOT NULL, message_id BLOB NOT NULL, sender TEXT NOT NULL,
            sender_serial TEXT NOT NULL, kind INTEGER NOT NULL, epoch INTEGER NOT NULL, time INTEGER NOT NULL, body BLOB NOT NULL,
            PRIMARY KEY (room, seq)) WITHOUT ROWID;
        CREATE UNIQUE INDEX messages_by_id ON messages(room, message_id);
        INSERT INTO rooms VALUES ('ops', 0, 1700000000000, 1, 0);
        INSERT INTO members VALUES ('ops', 'alice', 'Alice');
        INSERT INTO messages VALUES ('ops', 1, zeroblob(16), 'Alice', '01', 2, 0, 1700000000000, x'010203');
        """;

    private static void Raw(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long UserVersion(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void A_store_of_the_unversioned_layout_is_upgraded_to_the_current_version_and_keeps_what_it_held()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        Raw(path, UnversionedLayout);
        Assert.Equal(0, UserVersion(path));

        using (var store = new SqliteMessageStore(path))
        {
            var room = Assert.Single(store.LoadRooms());
            Assert.Equal(("ops", 1UL), (room.Name, room.LastSequence));
            Assert.Equal(["Alice"], store.LoadMembers("ops"));
            Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(store.Read("ops", 1, 10)).Body);
            store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
            var results = store.AppendBatch([new AppendRequest("ops", Guid.CreateVersion7(), "Alice", "01", EventKind.Chat, 0, DateTimeOffset.UtcNow, [4])]);
            Assert.Equal(2UL, results[0].Event!.Sequence);
        }

        Assert.Equal(MessageStoreSchema.Version, UserVersion(path));
    }

    [Fact]
    public void A_version_1_store_is_rewritten_in_store_order_and_keeps_every_room_s_sequences_ids_and_duplicates()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        // One id in two rooms: version 1 allowed it (ids are unique per room), so version 2 must keep both.
        Guid shared = Guid.CreateVersion7(), opsFirst = Guid.CreateVersion7(), opsLast = Guid.CreateVersion7(), devLast = Guid.CreateVersion7();
        string Id(Guid id) => "x'" + Convert.ToHexString(id.ToByteArray(bigEndian: true)) + "'";
        Raw(path, UnversionedLayout.Replace("zeroblob(16)", Id(opsFirst), StringComparison.Ordinal) + $"""
            UPDATE rooms SET last_seq = 3 WHERE name = 'ops';
            INSERT INTO rooms VALUES ('dev', 0, 1700000000000, 2, 0);
            INSERT INTO messages VALUES ('dev', 1, {Id(shared)}, 'Bob', '02', 2, 0, 1700000000100, x'0b01');
            INSERT INTO messages VALUES ('ops', 2, {Id(shared)}, 'Alice', '01', 2, 0, 1700000000200, x'0a02');
            INSERT INTO messages VALUES ('dev', 2, {Id(devLast)}, 'Bob', '02', 2, 0, 1700000000300, x'0b02');
            INSERT INTO messages VALUES ('ops', 3, {Id(opsLast)}, 'Alice', '01', 2, 0, 1700000000400, x'0a03');
            PRAGMA user_version=1;
            """);

        var logs = new RecordingLoggerFactory();
        using (var store = new SqliteMessageStore(path, logs.CreateLogger("test")))
        {
            // Said before the copy and the rewrite start (they take minutes on a large store),
            // with how much there is to rewrite; then that it is done.
            var events = logs.Events.Select(e => e.EventId).ToList();
            Assert.True(events.IndexOf(3001) >= 0 && events.IndexOf(3001) < events.IndexOf(3000), string.Join(", ", events));
            Assert.Contains(logs.Events, e => e.EventId == 3001 && e.Message.Contains("from schema version 1 to 2", StringComparison.Ordinal) && e.Message.Contains("holds 5 messages", StringComparison.Ordinal));
            // The rewrite went through the write-ahead log; the upgrade leaves it empty.
            Assert.Equal(0, new FileInfo(path + "-wal").Length);
            Assert.Equal([(1UL, opsFirst, (byte)3), (2UL, shared, (byte)2), (3UL, opsLast, (byte)3)],
                store.Read("ops", 1, 10).Select(e => (e.Sequence, e.MessageId, e.Body[^1])));
            Assert.Equal([(1UL, shared, "Bob"), (2UL, devLast, "Bob")], store.Read("dev", 1, 10).Select(e => (e.Sequence, e.MessageId, e.Sender)));
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000200), store.Read("ops", 2, 1)[0].Time);

            store.EnsureRoom("new", RoomKind.Room, DateTimeOffset.UtcNow);
            var results = store.AppendBatch([
                new AppendRequest("ops", shared, "Alice", "01", EventKind.Chat, 0, DateTimeOffset.UtcNow, [9]),
                new AppendRequest("new", shared, "Carol", "03", EventKind.Chat, 0, DateTimeOffset.UtcNow, [9]),
                new AppendRequest("dev", Guid.CreateVersion7(), "Bob", "02", EventKind.Chat, 0, DateTimeOffset.UtcNow, [9]),
            ]);

            Assert.Equal((AppendOutcome.Duplicate, 2UL), (results[0].Outcome, results[0].Event!.Sequence));
            Assert.Equal(new byte[] { 0x0a, 0x02 }, results[0].Event!.Body);
            Assert.Equal((AppendOutcome.Stored, 1UL), (results[1].Outcome, results[1].Event!.Sequence));
            Assert.Equal((AppendOutcome.Stored, 3UL), (results[2].Outcome, results[2].Event!.Sequence));
        }

        Assert.Equal(2L, UserVersion(path));
        // A second row for a room's sequence is refused by the file itself, not only by the store's code.
        var refused = Assert.Throws<SqliteException>(() => Raw(path, "INSERT INTO messages(room, seq, message_id, sender, sender_serial, kind, epoch, time, body) VALUES ('ops', 3, x'00', 'Mallory', '09', 2, 0, 0, x'00');"));
        Assert.Equal(19, refused.SqliteErrorCode); // SQLITE_CONSTRAINT
    }

    [Fact]
    public void An_upgrade_while_another_process_reads_the_file_starts_anyway_and_says_the_log_was_not_truncated()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        Raw(path, UnversionedLayout + "PRAGMA user_version=1; PRAGMA journal_mode=WAL;");
        // An admin's sqlite3 session in the middle of a read: it holds the write-ahead log.
        using var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        reader.Open();
        using var transaction = reader.BeginTransaction(deferred: true);
        using (var read = reader.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT COUNT(*) FROM messages;";
            Assert.Equal(1L, (long)read.ExecuteScalar()!);
        }

        var logs = new RecordingLoggerFactory();
        using var store = new SqliteMessageStore(path, logs.CreateLogger("test"));

        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(store.Read("ops", 1, 10)).Body);
        Assert.Contains(logs.Events, e => e.EventId == 3002 && e.Message.Contains(path, StringComparison.Ordinal));
        Assert.True(new FileInfo(path + "-wal").Length > 0);
        Assert.Equal(2L, UserVersion(path));
    }

    [Fact]
    public void A_new_store_starts_at_the_current_version()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        var logs = new RecordingLoggerFactory();
        using (new SqliteMessageStore(path, logs.CreateLogger("test")))
        {
        }

        Assert.Equal(MessageStoreSchema.Version, UserVersion(path));
        // Nothing to rewrite in a new file, so no upgrade is announced.
        Assert.DoesNotContain(logs.Events, e => e.EventId == 3001);
    }

    [Fact]
    public void A_store_written_by_a_newer_version_is_refused_naming_both_versions_and_left_as_it_is()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        Raw(path, UnversionedLayout + $"PRAGMA user_version={MessageStoreSchema.Version + 6};");

        var refusal = Assert.Throws<OpenChatException>(() => new SqliteMessageStore(path));

        Assert.Equal(ErrorIds.StoreVersionUnsupported, refusal.ErrorId);
        Assert.Contains($"version {MessageStoreSchema.Version + 6}", refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"version {MessageStoreSchema.Version} and older", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(MessageStoreSchema.Version + 6, UserVersion(path));
    }

    [Fact]
    public async Task An_asynchronous_history_read_returns_what_a_synchronous_one_does_and_stops_when_cancelled()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteMessageStore(temp.Combine(SqliteMessageStore.FileName));
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        store.AppendBatch(Enumerable.Range(0, 5)
            .Select(i => new AppendRequest("ops", Guid.CreateVersion7(), "alice", "01", EventKind.Key, 0, DateTimeOffset.UtcNow, [(byte)i]))
            .ToList());

        var read = await store.ReadAsync("ops", 2, 3, long.MaxValue, CancellationToken.None);

        Assert.Equal(store.Read("ops", 2, 3).Select(e => e.Sequence), read.Select(e => e.Sequence));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ReadAsync("ops", 1, 10, long.MaxValue, new CancellationToken(canceled: true)));
    }
}
