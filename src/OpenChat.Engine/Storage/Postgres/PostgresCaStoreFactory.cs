using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static OpenChat.Engine.Storage.Postgres.PostgresCaDatabase;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The CA store of a PostgreSQL deployment: keyed on the database, not on the data directory, so
/// every node's directory (a copy of the first one's) reaches the same CA. A database holds at
/// most one CA: <see cref="Create"/> claims the single row of <c>ca_authority</c>, so of several
/// nodes creating at once on an empty database exactly one succeeds. <see cref="Archive"/> moves
/// the CA's tables into a schema of their own, kept, never dropped.
/// </summary>
public sealed class PostgresCaStoreFactory : ICaStoreFactory
{
    /// <summary>The note <see cref="Archive"/> leaves in the archive directory, naming where the store went.</summary>
    public const string ArchiveNoteFile = "ca-store-in-postgresql.txt";

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    /// <param name="connectionString">An Npgsql connection string naming the deployment's database.</param>
    /// <param name="time">The clock a CA's creation, an archive and schema migrations are recorded at.</param>
    /// <param name="log">Where migrations, creation, archiving and retried connections are logged.</param>
    public PostgresCaStoreFactory(string connectionString, TimeProvider? time = null, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
    }

    /// <summary>True when the database holds a CA (whatever <paramref name="dataDirectory"/> is).</summary>
    public bool Exists(string dataDirectory)
    {
        using var database = new PostgresCaDatabase(_connectionString, _log);
        return HoldsCa(database);
    }

    /// <exception cref="OpenChatException">CaAlreadyExists: the database already holds a CA.</exception>
    public ICaStore Create(string dataDirectory)
    {
        var database = new PostgresCaDatabase(_connectionString, _log);
        try
        {
            Migrate(database);
            var claimed = database.Write("creating the CA", (connection, transaction) => Execute(connection, transaction,
                "INSERT INTO ca_authority (singleton, created_at) VALUES (true, $1) ON CONFLICT DO NOTHING",
                _time.GetUtcNow().ToUnixTimeMilliseconds()));
            if (claimed != 1)
            {
                throw new OpenChatException(ErrorIds.CaAlreadyExists, ErrorKind.AlreadyExists,
                    $"The PostgreSQL database {database.Name} already holds an OpenChat certificate authority, and a database never gets a second one. To add a node, start it from a copy of the data directory of a node that serves this database.");
            }

            PostgresCaStoreLog.Created(_log, database.Name);
            return new PostgresCaStore(database);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <exception cref="OpenChatException">CaNotFound: the database holds no CA.</exception>
    public ICaStore Open(string dataDirectory)
    {
        var database = new PostgresCaDatabase(_connectionString, _log);
        try
        {
            if (!HoldsCa(database))
            {
                throw new OpenChatException(ErrorIds.CaNotFound, ErrorKind.NotFound,
                    $"The PostgreSQL database {database.Name} holds no OpenChat certificate authority. Check that the connection string names the deployment's database, or create the CA first with New-ChatCertificateAuthority.");
            }

            Migrate(database);
            return new PostgresCaStore(database);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>Moves the CA's tables into a new schema <c>ca_archive_…</c> of the same database, in
    /// one transaction (DDL is transactional here), and forgets the part's schema version so a new
    /// CA starts from empty tables; leaves <see cref="ArchiveNoteFile"/> in
    /// <paramref name="archiveDirectory"/> naming the schema. Every node must be stopped first, as
    /// for any replacement of a CA.</summary>
    public void Archive(string dataDirectory, string archiveDirectory)
    {
        var now = _time.GetUtcNow();
        var schema = "ca_archive_" + now.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        using var database = new PostgresCaDatabase(_connectionString, _log);
        var moved = database.Write("archiving the CA", (connection, transaction) =>
        {
            // The same lock as the name claims: no certificate or invite is half-stored meanwhile.
            Execute(connection, transaction, "SELECT pg_advisory_xact_lock($1)", PostgresCaStore.NameLock);
            if (Scalar(connection, transaction, "SELECT to_regclass('ca_authority') IS NOT NULL") is not true)
            {
                return false;
            }

            var version = Scalar(connection, transaction, $"SELECT version FROM {PostgresSchema.VersionTable} WHERE part = $1", PostgresCaSchema.Part);
            Execute(connection, transaction, $"CREATE SCHEMA {schema}");
            foreach (var table in PostgresCaSchema.Tables)
            {
                Execute(connection, transaction, $"ALTER TABLE {table} SET SCHEMA {schema}");
            }

            Execute(connection, transaction, $"DELETE FROM {PostgresSchema.VersionTable} WHERE part = $1", PostgresCaSchema.Part);
            var note = $"OpenChat CA store archived at {now:u} (schema part '{PostgresCaSchema.Part}' version {version})";
            Execute(connection, transaction, $"COMMENT ON SCHEMA {schema} IS '{note.Replace("'", "''", StringComparison.Ordinal)}'");
            return true;
        });

        if (moved)
        {
            SecureFile.WriteAllText(Path.Combine(archiveDirectory, ArchiveNoteFile),
                $"The CA store of this directory was moved, in PostgreSQL database {database.Name}, into schema {schema} at {now:u}.{Environment.NewLine}");
            PostgresCaStoreLog.Archived(_log, database.Name, schema);
        }
    }

    private static bool HoldsCa(PostgresCaDatabase database) =>
        database.Read("looking for the CA", connection =>
            Scalar(connection, null, "SELECT to_regclass('ca_authority') IS NOT NULL") is true
            && Scalar(connection, null, "SELECT EXISTS (SELECT 1 FROM ca_authority)") is true);

    private void Migrate(PostgresCaDatabase database) =>
        database.Guard(() => PostgresSchema.Migrate(database.Source, PostgresCaSchema.Part, PostgresCaSchema.Steps, _time, _log));
}
