using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Storage.Backup;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage.Backup;

/// <summary>Each server database made by the previous schema (its steps up to the version before
/// the code's, with rows as that code wrote them) migrates, keeps its rows and leaves a copy of
/// itself as it was; a newer schema is refused and the file left as it is.</summary>
public class PreUpgradeBackupTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 15, 4, 5, TimeSpan.Zero);

    // messages.db before it had a schema version: the tables of step 0, user_version 0.
    private const string UnversionedMessages = """
        CREATE TABLE rooms (name TEXT PRIMARY KEY, kind INTEGER NOT NULL, created_at INTEGER NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0, epoch INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE members (room TEXT NOT NULL, user_norm TEXT NOT NULL, user_name TEXT NOT NULL, PRIMARY KEY (room, user_norm));
        CREATE TABLE messages (room TEXT NOT NULL, seq INTEGER NOT NULL, message_id BLOB NOT NULL, sender TEXT NOT NULL,
            sender_serial TEXT NOT NULL, kind INTEGER NOT NULL, epoch INTEGER NOT NULL, time INTEGER NOT NULL, body BLOB NOT NULL,
            PRIMARY KEY (room, seq)) WITHOUT ROWID;
        CREATE UNIQUE INDEX messages_by_id ON messages(room, message_id);
        INSERT INTO rooms VALUES ('ops', 0, 1700000000000, 2, 0);
        INSERT INTO members VALUES ('ops', 'alice', 'alice');
        INSERT INTO messages VALUES ('ops', 1, x'01000000000000000000000000000000', 'alice', '01', 2, 0, 1700000000000, x'0a0b');
        INSERT INTO messages VALUES ('ops', 2, x'02000000000000000000000000000000', 'alice', '01', 2, 0, 1700000000001, x'0c0d');
        """;

    private static readonly Guid FileId = Guid.Parse("7d1c9a53-8f0e-4a8e-9c57-1f6a3c2b9d10");

    [Fact]
    public void A_messages_db_of_the_previous_schema_migrates_keeps_its_messages_and_leaves_a_copy_as_it_was()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        Run(path, UnversionedMessages);
        var logs = new RecordingLoggerFactory();

        using (var store = new SqliteMessageStore(path, logs.CreateLogger("test")))
        {
            Assert.Equal(2UL, store.FindRoom("ops")!.LastSequence);
            Assert.Equal(new byte[] { 0x0c, 0x0d }, store.Read("ops", 2, 1)[0].Body);
            var appended = store.AppendBatch([new AppendRequest("ops", Guid.CreateVersion7(), "alice", "01", EventKind.Chat, 0, Now, [1])]);
            Assert.Equal(3UL, appended[0].Event!.Sequence);
        }

        Assert.Equal((long)MessageStoreSchema.Version, Scalar(path, "PRAGMA user_version;"));
        var copy = Assert.Single(Copies(temp.Path));
        Assert.Matches(@"^pre-upgrade-messages-v0-\d{8}T\d{6}Z\.db$", Path.GetFileName(copy));
        Assert.Equal(0L, Scalar(copy, "PRAGMA user_version;"));
        Assert.Equal(2L, Scalar(copy, "SELECT COUNT(*) FROM messages;"));
        Assert.Contains(logs.Events, e => e.EventId == 3501 && e.Message.Contains(copy, StringComparison.Ordinal));
    }

    [Fact]
    public void A_CA_store_of_the_previous_schema_migrates_keeps_its_certificates_and_invites_and_leaves_a_copy_as_it_was()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(CaDirectory.StoreFile);
        var previous = SqliteCaStore.SchemaVersion - 1;
        using (var connection = Open(path))
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            SqliteCaSchema.BuildVersion(connection, previous, Now);
            // Rows as the code of version 3 wrote them: no name skeletons yet.
            Execute(connection, $"""
                INSERT INTO certificates (serial, kind, name, name_norm, thumbprint, not_before, not_after, issued_at, der)
                VALUES ('AA01', {(int)CertificateKind.Client}, 'alice', 'alice', 'T1', 0, {Now.AddDays(30).ToUnixTimeMilliseconds()}, 0, x'3001');
                INSERT INTO invites (id, user_name, user_norm, secret_hash, verifier, server, created_at, expires_at)
                VALUES ('inv1', 'bob', 'bob', x'', x'0102', 'localhost:7443', 0, {Now.AddDays(1).ToUnixTimeMilliseconds()});
                INSERT INTO settings VALUES ('crl_number', '7');
                """);
        }

        var logs = new RecordingLoggerFactory();
        using (var store = SqliteCaStore.Open(path, new ManualTime(Now), logs.CreateLogger("test")))
        {
            Assert.Equal("alice", Assert.Single(store.FindCertificates()).Name);
            Assert.Equal("bob", store.GetInvite("inv1")!.UserName);
            Assert.Equal("7", store.GetSetting("crl_number"));
        }

        SqliteCaStore.ReleasePooledConnections();
        Assert.Equal((long)SqliteCaStore.SchemaVersion, Scalar(path, "PRAGMA user_version;"));
        var copy = Assert.Single(Copies(temp.Path));
        Assert.Equal($"pre-upgrade-openchat-v{previous}-20261202T150405Z.db", Path.GetFileName(copy));
        Assert.Equal((long)previous, Scalar(copy, "PRAGMA user_version;"));
        Assert.Equal("alice", Scalar(copy, "SELECT name FROM certificates;"));
        Assert.Contains(logs.Events, e => e.EventId == 3501);
        Assert.Contains(logs.Events, e => e.EventId == 3500);
    }

    [Fact]
    public void A_files_db_of_the_previous_schema_migrates_keeps_its_uploads_and_leaves_a_copy_as_it_was()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteFileStore.FileName);
        var previous = SqliteFileStore.SchemaVersion - 1;
        using (var connection = Open(path))
        {
            for (var step = 0; step < previous; step++)
            {
                Execute(connection, SqliteFileStore.Steps[step] + $"\nPRAGMA user_version={step + 1};");
            }

            // An upload as the code of the previous version stored it: one row, one chunk.
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO files(id, room, owner, size, chunk_size, chunk_count, created_at) VALUES ($id, 'ops', 'alice', 3, 65536, 1, 1700000000000);
                INSERT INTO chunks(file_id, idx, data) VALUES ($id, 0, x'010203');
                """;
            insert.Parameters.AddWithValue("$id", FileId.ToByteArray());
            insert.ExecuteNonQuery();
        }

        using (var store = new SqliteFileStore(path))
        {
            Assert.Equal(("ops", "alice", 3UL), (store.Find(FileId)!.Room, store.Find(FileId)!.Owner, store.Find(FileId)!.Size));
            Assert.Equal(new byte[] { 1, 2, 3 }, store.ReadChunk(FileId, 0));
            Assert.Equal(1, store.DeleteIncompleteBefore(DateTimeOffset.FromUnixTimeMilliseconds(1700000000001)));
        }

        Assert.Equal((long)SqliteFileStore.SchemaVersion, Scalar(path, "PRAGMA user_version;"));
        var copy = Assert.Single(Copies(temp.Path));
        Assert.StartsWith($"pre-upgrade-files-v{previous}-", Path.GetFileName(copy), StringComparison.Ordinal);
        Assert.Equal((long)previous, Scalar(copy, "PRAGMA user_version;"));
        Assert.Equal(1L, Scalar(copy, "SELECT COUNT(*) FROM chunks;"));
    }

    [Fact]
    public async Task A_server_started_on_a_data_directory_of_the_previous_CA_schema_keeps_a_copy_and_logs_it()
    {
        using var temp = new TempDirectory();
        var data = temp.Combine("chat");
        await (await OpenChat.Engine.Server.ChatServer.StartAsync(data, new OpenChat.Engine.Server.ChatServerOptions { Port = 0 })).StopAsync();
        SqliteCaStore.ReleasePooledConnections();
        // openchat.db as the previous version left it (the skeleton columns of version 4 not there yet).
        Run(Path.Combine(data, CaDirectory.StoreFile), $"""
            DROP INDEX certificates_by_skeleton;
            DROP INDEX invites_by_skeleton;
            ALTER TABLE certificates DROP COLUMN name_skel;
            ALTER TABLE invites DROP COLUMN user_skel;
            PRAGMA user_version={SqliteCaStore.SchemaVersion - 1};
            """);
        var logs = new RecordingLoggerFactory();

        var server = await OpenChat.Engine.Server.ChatServer.StartAsync(data, new OpenChat.Engine.Server.ChatServerOptions { Port = 0, LoggerFactory = logs });
        await server.StopAsync();
        SqliteCaStore.ReleasePooledConnections();

        var copy = Assert.Single(Copies(data));
        Assert.StartsWith($"pre-upgrade-openchat-v{SqliteCaStore.SchemaVersion - 1}-", Path.GetFileName(copy), StringComparison.Ordinal);
        Assert.Contains(logs.Events, e => e.EventId == 3501 && e.Message.Contains(copy, StringComparison.Ordinal));
        Assert.Equal((long)SqliteCaStore.SchemaVersion, Scalar(Path.Combine(data, CaDirectory.StoreFile), "PRAGMA user_version;"));
    }

    public static TheoryData<string> Databases => new() { "messages", "ca", "files" };

    [Theory]
    [MemberData(nameof(Databases))]
    public void A_database_of_a_newer_schema_is_refused_saying_what_to_do_and_is_left_untouched(string database)
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var (path, newer, open) = Newer(temp, database);
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var refusal = Assert.Throws<OpenChatException>(open);

        Assert.Equal(ErrorIds.StoreVersionUnsupported, refusal.ErrorId);
        Assert.Contains($"version {newer}", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("Use", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("restore a backup", refusal.Message, StringComparison.Ordinal);
        SqliteCaStore.ReleasePooledConnections();
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Empty(Copies(temp.Path));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public void A_new_database_takes_no_copy(string database)
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        switch (database)
        {
            case "messages":
                new SqliteMessageStore(temp.Combine(SqliteMessageStore.FileName)).Dispose();
                break;
            case "ca":
                SqliteCaStore.Create(temp.Combine(CaDirectory.StoreFile));
                SqliteCaStore.Open(temp.Combine(CaDirectory.StoreFile));
                break;
            default:
                new SqliteFileStore(temp.Combine(SqliteFileStore.FileName)).Dispose();
                new SqliteFileStore(temp.Combine(SqliteFileStore.FileName)).Dispose();
                break;
        }

        SqliteCaStore.ReleasePooledConnections();
        Assert.False(Directory.Exists(temp.Combine(PreUpgradeBackup.DirectoryName)));
    }

    [Fact]
    public void When_the_copy_cannot_be_saved_the_database_is_not_migrated()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        Run(path, UnversionedMessages);
        // A file where the folder of copies would go: it cannot be created.
        File.WriteAllText(temp.Combine(PreUpgradeBackup.DirectoryName), "in the way");

        var refusal = Assert.Throws<OpenChatException>(() => new SqliteMessageStore(path));

        Assert.Equal(ErrorIds.StoreUnavailable, refusal.ErrorId);
        Assert.Contains("was not changed", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(0L, Scalar(path, "PRAGMA user_version;"));
    }

    // Version 1 of a small file, and a step to version 2 that fails (a table it needs is missing).
    private static readonly string[] FailingSteps = ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);", "INSERT INTO missing VALUES (1);"];

    private static void StartWithFailingMigration(string path)
    {
        using var connection = Open(path);
        var failure = Assert.Throws<SqliteException>(() => SqliteSchemaSteps.Upgrade(connection, FailingSteps, "The test file", new PreUpgradeBackup(path)));
        Assert.Contains("missing", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_migration_that_fails_on_every_start_keeps_one_copy_until_the_file_changes()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("notes.db");
        Run(path, FailingSteps[0] + "INSERT INTO notes VALUES (1, 'first'); PRAGMA user_version=1;");

        StartWithFailingMigration(path);
        StartWithFailingMigration(path);
        StartWithFailingMigration(path);
        var copy = Assert.Single(Copies(temp.Path));
        Assert.Equal("first", Scalar(copy, "SELECT text FROM notes;"));

        // The older OpenChat ran on and wrote: the kept copy no longer holds the file, a new one is taken.
        Run(path, "INSERT INTO notes VALUES (2, 'second');");
        StartWithFailingMigration(path);
        Assert.Equal(2, Copies(temp.Path).Count());
        Assert.Contains(Copies(temp.Path), c => (long)Scalar(c, "SELECT COUNT(*) FROM notes;")! == 2L);
    }

    [Fact]
    public void A_store_whose_first_step_committed_and_whose_second_failed_keeps_the_copy_of_the_older_version_instead_of_a_second_one()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine(SqliteMessageStore.FileName);
        // A table in the way of the step to version 2, as a full disk would stop it: step 0 -> 1
        // commits, 1 -> 2 fails, and the next start finds the file at version 1.
        Run(path, UnversionedMessages + "CREATE TABLE messages_v2 (blocker INTEGER);");
        var logs = new RecordingLoggerFactory();

        Assert.Throws<SqliteException>(() => new SqliteMessageStore(path, logs.CreateLogger("test")).Dispose());
        Assert.Equal(1L, Scalar(path, "PRAGMA user_version;"));
        Assert.Throws<SqliteException>(() => new SqliteMessageStore(path, logs.CreateLogger("test")).Dispose());

        var copy = Assert.Single(Copies(temp.Path));
        Assert.Matches(@"^pre-upgrade-messages-v0-", Path.GetFileName(copy));
        Assert.Contains(logs.Events, e => e.EventId == 3505 && e.Message.Contains(copy, StringComparison.Ordinal));
        // The failed step changed nothing: still version 1, with every message of version 0.
        Assert.Equal(1L, Scalar(path, "PRAGMA user_version;"));
        Assert.Equal(2L, Scalar(path, "SELECT COUNT(*) FROM messages;"));
    }

    [Fact]
    public void A_copy_that_fails_half_way_leaves_no_partial_file_and_the_database_unchanged()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("notes.db");
        Run(path, FailingSteps[0] + "INSERT INTO notes VALUES (1, 'first'); PRAGMA user_version=1;");
        string[] steps = [FailingSteps[0], "ALTER TABLE notes ADD COLUMN extra TEXT;"];
        // A disk that fills after some bytes of the copy were written.
        var full = new PreUpgradeBackup(path, null, null, (_, target) =>
        {
            File.WriteAllBytes(target, new byte[4096]);
            throw new IOException("No space left on device");
        });

        using (var connection = Open(path))
        {
            var refusal = Assert.Throws<OpenChatException>(() => SqliteSchemaSteps.Upgrade(connection, steps, "The test file", full));
            Assert.Equal(ErrorIds.StoreUnavailable, refusal.ErrorId);
        }

        Assert.Empty(Directory.GetFileSystemEntries(temp.Combine(PreUpgradeBackup.DirectoryName)));
        Assert.Equal(1L, Scalar(path, "PRAGMA user_version;"));
    }

    private static (string Path, int Newer, Action Open) Newer(TempDirectory temp, string database)
    {
        switch (database)
        {
            case "messages":
            {
                var path = temp.Combine(SqliteMessageStore.FileName);
                new SqliteMessageStore(path).Dispose();
                Run(path, $"PRAGMA user_version={MessageStoreSchema.Version + 1};");
                return (path, MessageStoreSchema.Version + 1, () => new SqliteMessageStore(path).Dispose());
            }

            case "ca":
            {
                var path = temp.Combine(CaDirectory.StoreFile);
                SqliteCaStore.Create(path);
                SqliteCaStore.ReleasePooledConnections();
                Run(path, $"PRAGMA user_version={SqliteCaStore.SchemaVersion + 1};");
                return (path, SqliteCaStore.SchemaVersion + 1, () => SqliteCaStore.Open(path));
            }

            default:
            {
                var path = temp.Combine(SqliteFileStore.FileName);
                new SqliteFileStore(path).Dispose();
                Run(path, $"PRAGMA user_version={SqliteFileStore.SchemaVersion + 1};");
                return (path, SqliteFileStore.SchemaVersion + 1, () => new SqliteFileStore(path).Dispose());
            }
        }
    }

    private static IEnumerable<string> Copies(string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, PreUpgradeBackup.DirectoryName);
        return Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Run(string path, string sql)
    {
        using var connection = Open(path);
        Execute(connection, sql);
    }

    private static object? Scalar(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
