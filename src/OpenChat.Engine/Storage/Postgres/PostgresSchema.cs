using Microsoft.Extensions.Logging;
using Npgsql;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The versioned schema of a PostgreSQL deployment: each part (the CA's tables, the room log, the
/// files, the node list) has its own version in <c>openchat_schema</c> and its own ordered steps,
/// step <c>i</c> taking it from version <c>i</c> to <c>i + 1</c>. Every node migrates forward at
/// start; an advisory lock makes nodes starting together take turns, and each part's steps run in
/// one transaction with its new version, so a part is at one version or the next, never between.
/// A part newer than this code is refused, never touched.
/// </summary>
public static class PostgresSchema
{
    // Any constant both sides agree on; it names "OpenChat is changing its schema".
    private const long MigrationLock = 0x4F70656E43686174;

    public const string VersionTable = "openchat_schema";

    /// <summary>Brings <paramref name="part"/> up to <c>steps.Count</c>; returns the version it was at (0: new).</summary>
    /// <exception cref="OpenChatException">StoreVersionUnsupported: the part was written by a newer OpenChat.</exception>
    public static int Migrate(NpgsqlDataSource database, string part, IReadOnlyList<string> steps, TimeProvider time, ILogger log)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, transaction,
            $"CREATE TABLE IF NOT EXISTS {VersionTable} (part text PRIMARY KEY, version integer NOT NULL, changed_at timestamptz NOT NULL)");
        var found = CurrentVersion(connection, transaction, part);
        if (found > steps.Count)
        {
            throw new OpenChatException(ErrorIds.StoreVersionUnsupported, ErrorKind.InvalidData,
                $"The database's '{part}' tables have schema version {found}; this OpenChat understands version {steps.Count} and older. Use the newer OpenChat that wrote them.");
        }

        for (var version = found; version < steps.Count; version++)
        {
            Execute(connection, transaction, steps[version]);
        }

        if (found < steps.Count)
        {
            using var record = new NpgsqlCommand(
                $"INSERT INTO {VersionTable} (part, version, changed_at) VALUES ($1, $2, $3) " +
                "ON CONFLICT (part) DO UPDATE SET version = excluded.version, changed_at = excluded.changed_at", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = part });
            record.Parameters.Add(new NpgsqlParameter { Value = steps.Count });
            record.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().UtcDateTime });
            record.ExecuteNonQuery();
            log.LogInformation("PostgreSQL schema '{Part}' migrated from version {From} to {To}", part, found, steps.Count);
        }

        transaction.Commit();
        return found;
    }

    /// <summary>The part's version in the database (0 when it has none), without changing anything.</summary>
    public static int VersionOf(NpgsqlDataSource database, string part)
    {
        using var connection = database.OpenConnection();
        using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = VersionTable });
        if (exists.ExecuteScalar() is not true)
        {
            return 0;
        }

        return CurrentVersion(connection, null, part);
    }

    private static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction, string part)
    {
        using var command = new NpgsqlCommand($"SELECT version FROM {VersionTable} WHERE part = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = part });
        return command.ExecuteScalar() is int version ? version : 0;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
