using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>What only the SQLite CA store has: its file, journal and schema history. What every
/// CA store must do is in <see cref="CaStoreContractTests"/>.</summary>
public class SqliteCaStoreTests
{
    [Fact]
    public void Store_uses_wal_journal()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        SqliteCaStore.Create(path).Dispose();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar() as string);
    }

    [Fact]
    public void Opening_a_missing_store_says_the_ca_is_missing()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<OpenChatException>(() => SqliteCaStore.Open(temp.Combine("nope.db")));
        Assert.Equal(ErrorIds.CaNotFound, e.ErrorId);
    }

    [Fact]
    public void A_version_1_store_is_upgraded_and_its_pending_invites_are_cancelled_saying_why()
    {
        using var temp = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        var path = Version1Store(temp, now);

        using var store = SqliteCaStore.Open(path);
        var pending = store.GetInvite("old1")!;
        Assert.Equal(InviteStatus.Revoked, pending.StatusAt(now));
        Assert.Equal(SqliteCaStore.LegacyInviteReason, pending.CancelReason);
        Assert.Empty(pending.Verifier);
        Assert.Equal(InviteStatus.Redeemed, store.GetInvite("old2")!.StatusAt(now));
        Assert.Null(store.GetInvite("old2")!.CancelReason);
        Assert.Equal(SqliteCaStore.SchemaVersion, UserVersion(path));
        SqliteCaStore.Open(path).Dispose(); // opening again changes nothing
    }

    [Fact]
    public void Opening_an_upgraded_store_again_changes_nothing()
    {
        using var temp = new TempDirectory();
        var upgradedAt = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var path = Version1Store(temp, upgradedAt.AddHours(-1));
        var time = new ManualTime(upgradedAt);
        SqliteCaStore.Open(path, time).Dispose();
        Assert.Equal(upgradedAt, SqliteCaStore.Open(path).GetInvite("old1")!.RevokedAt);

        time.Advance(TimeSpan.FromDays(1));
        using var again = SqliteCaStore.Open(path, time);

        Assert.Equal(upgradedAt, again.GetInvite("old1")!.RevokedAt);
        Assert.Equal(SqliteCaStore.SchemaVersion, UserVersion(path));
        Assert.Equal(2, again.FindInvites().Count);
    }

    [Fact]
    public void A_store_newer_than_this_code_is_refused_naming_both_versions()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        SqliteCaStore.Create(path).Dispose();
        var newer = SqliteCaStore.SchemaVersion + 1;
        Run(path, $"PRAGMA user_version={newer};");

        var e = Assert.Throws<OpenChatException>(() => SqliteCaStore.Open(path));

        Assert.Equal(ErrorIds.StoreVersionUnsupported, e.ErrorId);
        Assert.Contains($"version {newer}", e.Message);
        Assert.Contains($"up to {SqliteCaStore.SchemaVersion}", e.Message);
        Assert.Equal(newer, UserVersion(path));
    }

    [Fact]
    public void A_store_without_a_version_is_refused_rather_than_filled_with_tables()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        Run(path, "CREATE TABLE unrelated (x INTEGER);");

        var e = Assert.Throws<OpenChatException>(() => SqliteCaStore.Open(path));

        Assert.Equal(ErrorIds.StoreUnavailable, e.ErrorId);
        Assert.Equal(0, UserVersion(path));
    }

    [Fact]
    public void A_migration_that_fails_leaves_the_store_whole_at_its_old_version()
    {
        using var temp = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        var path = Version1Store(temp, now);
        // A column the upgrade to version 2 adds: its ALTER TABLE fails half way through the step.
        Run(path, "ALTER TABLE invites ADD COLUMN cancel_reason TEXT NULL;");

        var e = Assert.Throws<OpenChatException>(() => SqliteCaStore.Open(path));

        Assert.Equal(ErrorIds.StoreUnavailable, e.ErrorId);
        Assert.Contains("from schema version 1 to 2", e.Message);

        Assert.Equal(1, UserVersion(path));
        Assert.Equal(0L, Scalar(path, "SELECT COUNT(*) FROM invites WHERE revoked_at IS NOT NULL"));
        Assert.Equal(0L, Scalar(path, "SELECT COUNT(*) FROM pragma_table_info('invites') WHERE name = 'verifier'"));
    }

    [Fact]
    public void A_new_store_is_built_by_every_step_up_to_the_current_version()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        SqliteCaStore.Create(path).Dispose();

        Assert.Equal(SqliteCaStore.SchemaVersion, UserVersion(path));
        Assert.Equal(2L, Scalar(path, "SELECT COUNT(*) FROM pragma_table_info('invites') WHERE name IN ('verifier', 'cancel_reason')"));
        Assert.Equal(2L, Scalar(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('certificates_by_name', 'invites_by_user')"));
    }

    /// <summary>A store as OpenChat's first release wrote it: the version 1 schema, with one
    /// pending and one redeemed invite.</summary>
    private static string Version1Store(TempDirectory temp, DateTimeOffset now)
    {
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        Run(path, $"""
            CREATE TABLE certificates (serial TEXT PRIMARY KEY, kind INTEGER NOT NULL, name TEXT NOT NULL, name_norm TEXT NOT NULL,
                thumbprint TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL,
                der BLOB NOT NULL, revoked_at INTEGER NULL, revocation_reason INTEGER NULL);
            CREATE TABLE invites (id TEXT PRIMARY KEY, user_name TEXT NOT NULL, user_norm TEXT NOT NULL, secret_hash BLOB NOT NULL,
                server TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, additional_device INTEGER NOT NULL DEFAULT 0,
                redeemed_at INTEGER NULL, revoked_at INTEGER NULL);
            CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO invites VALUES ('old1', 'erin', 'erin', x'00', 'localhost:7443', {now.ToUnixTimeMilliseconds()}, {now.AddDays(1).ToUnixTimeMilliseconds()}, 0, NULL, NULL);
            INSERT INTO invites VALUES ('old2', 'finn', 'finn', x'00', 'localhost:7443', {now.ToUnixTimeMilliseconds()}, {now.AddDays(1).ToUnixTimeMilliseconds()}, 0, {now.ToUnixTimeMilliseconds()}, NULL);
            PRAGMA user_version=1;
            """);
        return path;
    }

    private static void Run(string path, string sql) => Scalar(path, sql);

    private static object? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static long UserVersion(string path) => (long)Scalar(path, "PRAGMA user_version;")!;
}
