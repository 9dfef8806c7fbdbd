using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage;

/// <summary>
/// The CA store's schema as the numbered steps that built it (<c>PRAGMA user_version</c> is the
/// last step applied). A new store runs every step, an older one only those it lacks, so a store
/// of any released version reaches the current one by the same path; one written by a newer
/// OpenChat is refused rather than guessed at.
/// </summary>
internal static class SqliteCaSchema
{
    private static readonly Migration[] Migrations =
    [
        new(1, (connection, _) => SqliteCaStore.Execute(connection, Version1)),
        new(2, ToVersion2),
        new(3, ToVersion3),
        new(4, ToVersion4),
    ];

    public static int CurrentVersion => Migrations[^1].Version;

    /// <summary>Brings the store behind <paramref name="connection"/> to <see cref="CurrentVersion"/>.
    /// The steps and the version number are one transaction, and the version is read again inside
    /// it, so a crash leaves the old version whole and two processes upgrade a store once.</summary>
    /// <param name="isNew">The file was just created here: version 0 means empty, not foreign.</param>
    /// <param name="beforeUpgrade">Where an existing store is copied before it is migrated.</param>
    public static void Upgrade(SqliteConnection connection, string path, bool isNew, DateTimeOffset now, ILogger log, Backup.PreUpgradeBackup? beforeUpgrade = null)
    {
        var found = ReadVersion(connection);
        if (found == CurrentVersion)
        {
            return; // the common case takes no write lock
        }

        if (found > CurrentVersion)
        {
            throw Newer(path, found);
        }

        // Outside the migration's transaction (a backup reads the whole file; the copy is of
        // the version found). Two processes upgrading at once may both keep a copy: harmless.
        if (found > 0)
        {
            beforeUpgrade?.TakeIfNeeded(connection, found, CurrentVersion);
        }

        int from;
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            from = ReadVersion(connection);
            if (from > CurrentVersion)
            {
                throw Newer(path, from);
            }

            if (from == 0 && !isNew)
            {
                throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.InvalidData,
                    $"The store at '{path}' has schema version 0 (it is not an OpenChat CA store, or its creation was cut short); this OpenChat understands version {CurrentVersion}.");
            }

            foreach (var migration in Migrations.Where(m => m.Version > from))
            {
                try
                {
                    migration.Apply(connection, now);
                }
                catch (SqliteException e)
                {
                    // Rolled back with the transaction: the store stays whole at its old version.
                    throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.InvalidData,
                        $"The store at '{path}' could not be upgraded from schema version {from} to {migration.Version}, and was left unchanged: {e.Message}", e);
                }

                SqliteCaStore.Execute(connection, $"PRAGMA user_version={migration.Version.ToString(CultureInfo.InvariantCulture)};");
            }

            transaction.Commit();
        }

        if (from != 0 && from < CurrentVersion)
        {
            CaStoreLog.SchemaUpgraded(log, path, from, CurrentVersion);
        }
    }

    /// <summary>Applies the steps up to <paramref name="version"/> to a new file, as the OpenChat
    /// of that version made it: for tests of the upgrade from an earlier release.</summary>
    internal static void BuildVersion(SqliteConnection connection, int version, DateTimeOffset now)
    {
        foreach (var migration in Migrations.Where(m => m.Version <= version))
        {
            migration.Apply(connection, now);
            SqliteCaStore.Execute(connection, $"PRAGMA user_version={migration.Version.ToString(CultureInfo.InvariantCulture)};");
        }
    }

    private static OpenChatException Newer(string path, int found) =>
        new(ErrorIds.StoreVersionUnsupported, ErrorKind.InvalidData,
            $"The store at '{path}' has schema version {found}, but this OpenChat knows versions up to {CurrentVersion}: a newer OpenChat wrote it. Use that version (or a later one) with this data directory, or restore a backup made before that upgrade (Restore-ChatServer, or the pre-upgrade copy in the data directory's '{Backup.PreUpgradeBackup.DirectoryName}' folder). The file was not changed.");

    private static int ReadVersion(SqliteConnection connection) =>
        Convert.ToInt32(SqliteCaStore.Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);

    private const string Version1 = """
        CREATE TABLE IF NOT EXISTS certificates (
            serial TEXT PRIMARY KEY,
            kind INTEGER NOT NULL,
            name TEXT NOT NULL,
            name_norm TEXT NOT NULL,
            thumbprint TEXT NOT NULL,
            not_before INTEGER NOT NULL,
            not_after INTEGER NOT NULL,
            issued_at INTEGER NOT NULL,
            der BLOB NOT NULL,
            revoked_at INTEGER NULL,
            revocation_reason INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS certificates_by_name ON certificates(kind, name_norm);
        CREATE TABLE IF NOT EXISTS invites (
            id TEXT PRIMARY KEY,
            user_name TEXT NOT NULL,
            user_norm TEXT NOT NULL,
            secret_hash BLOB NOT NULL,
            server TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            additional_device INTEGER NOT NULL DEFAULT 0,
            redeemed_at INTEGER NULL,
            revoked_at INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS invites_by_user ON invites(user_norm);
        CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """;

    /// <summary>Version 2: invites keep a verifier of their secret instead of its hash, and why
    /// they were cancelled. Version 1 stored a hash of each invite's secret and had clients send
    /// the secret itself. Such invites cannot be redeemed any more (clients refuse their format,
    /// the server has no verifier for them), so pending ones are cancelled, saying why, rather
    /// than listed as pending forever.</summary>
    private static void ToVersion2(SqliteConnection connection, DateTimeOffset now) =>
        SqliteCaStore.Execute(connection, """
            ALTER TABLE invites ADD COLUMN verifier BLOB NULL;
            ALTER TABLE invites ADD COLUMN cancel_reason TEXT NULL;
            UPDATE invites SET revoked_at = $now, cancel_reason = $why
            WHERE redeemed_at IS NULL AND revoked_at IS NULL;
            """, ("$now", now.ToUnixTimeMilliseconds()), ("$why", SqliteCaStore.LegacyInviteReason));

    /// <summary>Version 3: a certificate remembers which one it renewed. The index is unique, so
    /// a certificate is renewed at most once even by two renewals racing: the renewal chain of a
    /// device never forks (an old key that renewed first locks the owner out, loudly, and the
    /// other way round).</summary>
    private static void ToVersion3(SqliteConnection connection, DateTimeOffset now) =>
        SqliteCaStore.Execute(connection, """
            ALTER TABLE certificates ADD COLUMN renewed_from TEXT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS certificates_by_renewed_from ON certificates(renewed_from) WHERE renewed_from IS NOT NULL;
            """);

    /// <summary>Version 4: every client certificate and invite keeps the skeleton of its name
    /// (<see cref="Pki.UserNameSkeleton"/>), indexed, so that a new name is checked against every
    /// look-alike in the transaction that stores it. Existing rows are filled in here; look-alike
    /// pairs already stored stay (their owners exist), only new ones are refused.</summary>
    private static void ToVersion4(SqliteConnection connection, DateTimeOffset now)
    {
        SqliteCaStore.Execute(connection, """
            ALTER TABLE certificates ADD COLUMN name_skel TEXT NULL;
            ALTER TABLE invites ADD COLUMN user_skel TEXT NULL;
            """);
        Backfill(connection, "certificates", "name", "name_skel");
        Backfill(connection, "invites", "user_name", "user_skel");
        SqliteCaStore.Execute(connection, """
            CREATE INDEX IF NOT EXISTS certificates_by_skeleton ON certificates(name_skel);
            CREATE INDEX IF NOT EXISTS invites_by_skeleton ON invites(user_skel);
            """);
    }

    // The skeleton is C#, not SQL, so each distinct name is read, mapped and written back.
    private static void Backfill(SqliteConnection connection, string table, string nameColumn, string skeletonColumn)
    {
        var names = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT DISTINCT {nameColumn} FROM {table};";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var name in names)
        {
            SqliteCaStore.Execute(connection, $"UPDATE {table} SET {skeletonColumn} = $skel WHERE {nameColumn} = $name;",
                ("$skel", Pki.UserNameSkeleton.Of(name)), ("$name", name));
        }
    }

    /// <summary>One step: what <paramref name="Apply"/> does to a store of the version before
    /// <paramref name="Version"/> makes it one of that version.</summary>
    private sealed record Migration(int Version, Action<SqliteConnection, DateTimeOffset> Apply);
}
