using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The server's files in the shared PostgreSQL database (schema part "files"), so that a file
/// uploaded through one node can be fetched through any other. It answers every call as
/// <see cref="SqliteFileStore"/> does; each call is its own statement on a pooled connection, and
/// PostgreSQL commits it durably before the call returns, so an acknowledged chunk survives a crash.
/// </summary>
public sealed class PostgresFileStore : IFileStore
{
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE file_uploads (
            id uuid PRIMARY KEY,
            room text NOT NULL,
            owner text NOT NULL,
            size bigint NOT NULL,
            chunk_size bigint NOT NULL,
            chunk_count bigint NOT NULL,
            created_at bigint NOT NULL,
            completed_at bigint
        );
        CREATE INDEX file_uploads_by_owner ON file_uploads (owner);
        CREATE TABLE file_chunks (
            file_id uuid NOT NULL,
            idx bigint NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (file_id, idx)
        );
        """,
    ];

    private readonly PostgresStoreDatabase _database;

    public PostgresFileStore(string connectionString, TimeProvider? time = null, ILogger? log = null)
    {
        _database = new PostgresStoreDatabase(connectionString, "file store", log ?? NullLogger.Instance);
        try
        {
            _database.Migrate("files", Steps, time ?? TimeProvider.System);
        }
        catch
        {
            _database.Dispose();
            throw;
        }
    }

    // Once only: a second try after a lost acknowledgement would find its own row and fail.
    public void Create(StoredFile file) => ExecuteOnce(
        "INSERT INTO file_uploads (id, room, owner, size, chunk_size, chunk_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        file.Id, file.Room, file.Owner, checked((long)file.Size), (long)file.ChunkSize, (long)file.ChunkCount, file.CreatedAt.ToUnixTimeMilliseconds());

    public StoredFile? Find(Guid id) => _database.Run(connection =>
    {
        using var command = Command(connection,
            "SELECT room, owner, size, chunk_size, chunk_count, created_at, completed_at FROM file_uploads WHERE id = $1", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new StoredFile(id, reader.GetString(0), reader.GetString(1), (ulong)reader.GetInt64(2), (uint)reader.GetInt64(3),
            (uint)reader.GetInt64(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
            reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)));
    });

    public ulong BytesOwnedBy(string owner) => _database.Run(connection =>
    {
        using var command = Command(connection, "SELECT COALESCE(SUM(size), 0)::bigint FROM file_uploads WHERE owner = $1", owner);
        return (ulong)(long)command.ExecuteScalar()!;
    });

    public void PutChunk(Guid id, uint index, byte[] data) => Execute(
        "INSERT INTO file_chunks (file_id, idx, data) VALUES ($1, $2, $3) ON CONFLICT (file_id, idx) DO UPDATE SET data = excluded.data",
        id, (long)index, data);

    public IReadOnlyList<uint> ChunksOf(Guid id) => _database.Run(connection =>
    {
        using var command = Command(connection, "SELECT idx FROM file_chunks WHERE file_id = $1 ORDER BY idx", id);
        using var reader = command.ExecuteReader();
        var chunks = new List<uint>();
        while (reader.Read())
        {
            chunks.Add((uint)reader.GetInt64(0));
        }

        return (IReadOnlyList<uint>)chunks;
    });

    public byte[]? ReadChunk(Guid id, uint index) => _database.Run(connection =>
    {
        using var command = Command(connection, "SELECT data FROM file_chunks WHERE file_id = $1 AND idx = $2", id, (long)index);
        return command.ExecuteScalar() as byte[];
    });

    public void MarkComplete(Guid id, DateTimeOffset at) => Execute(
        "UPDATE file_uploads SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL", id, at.ToUnixTimeMilliseconds());

    // Once only: a second try would count nothing of what the first one deleted.
    public int DeleteIncompleteBefore(DateTimeOffset cutoff) => _database.Run((connection, once) =>
    {
        once();
        using var transaction = connection.BeginTransaction();
        using var chunks = Command(connection,
            "DELETE FROM file_chunks WHERE file_id IN (SELECT id FROM file_uploads WHERE completed_at IS NULL AND created_at < $1)",
            cutoff.ToUnixTimeMilliseconds());
        chunks.Transaction = transaction;
        chunks.ExecuteNonQuery();
        using var files = Command(connection, "DELETE FROM file_uploads WHERE completed_at IS NULL AND created_at < $1", cutoff.ToUnixTimeMilliseconds());
        files.Transaction = transaction;
        var deleted = files.ExecuteNonQuery();
        transaction.Commit();
        return deleted;
    });

    public void Dispose() => _database.Dispose();

    private void Execute(string sql, params object[] args) => _database.Run(connection =>
    {
        using var command = Command(connection, sql, args);
        command.ExecuteNonQuery();
    });

    private void ExecuteOnce(string sql, params object[] args) => _database.RunOnce(connection =>
    {
        using var command = Command(connection, sql, args);
        command.ExecuteNonQuery();
    });

    // Positional parameters only: values are never spliced into the text.
    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] args)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
