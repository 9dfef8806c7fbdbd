using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage;

/// <summary>
/// The server's files in files.db in the data directory, apart from the message log so that
/// large uploads never hold up a room's appends. WAL with synchronous=FULL: a chunk is on disk
/// before its acknowledgement. It holds only what clients sent: chunks that are ciphertext.
/// </summary>
public sealed class SqliteFileStore : IFileStore
{
    public const string FileName = "files.db";

    /// <summary>The version this code reads and writes (<c>PRAGMA user_version</c>).</summary>
    public static int SchemaVersion => Steps.Length;

    // Steps[v] takes a file from version v to v + 1 (SqliteSchemaSteps).
    internal static readonly string[] Steps =
    [
        """
        CREATE TABLE IF NOT EXISTS files (
            id BLOB PRIMARY KEY,
            room TEXT NOT NULL,
            owner TEXT NOT NULL,
            size INTEGER NOT NULL,
            chunk_size INTEGER NOT NULL,
            chunk_count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            completed_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS files_by_owner ON files(owner);
        CREATE TABLE IF NOT EXISTS chunks (
            file_id BLOB NOT NULL,
            idx INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (file_id, idx)
        );
        """,
        // Version 2: the sweep of abandoned uploads reads only the incomplete ones, instead of
        // every file ever uploaded.
        """
        CREATE INDEX IF NOT EXISTS files_incomplete_by_time ON files(created_at) WHERE completed_at IS NULL;
        """,
    ];

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    /// <param name="log">Where the copy taken before a schema upgrade is logged.</param>
    public SqliteFileStore(string path, ILogger? log = null)
    {
        SecureFile.Touch(path);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        try
        {
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;");
            SqliteSchemaSteps.Upgrade(_connection, Steps, $"The file store at '{path}'", new Backup.PreUpgradeBackup(path, log));
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable, $"Cannot open the file store at '{path}': {e.Message}", e);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public void Create(StoredFile file)
    {
        lock (_gate)
        {
            using var command = Command(
                "INSERT INTO files(id, room, owner, size, chunk_size, chunk_count, created_at) VALUES ($id, $r, $o, $s, $cs, $cc, $t)",
                ("$id", file.Id.ToByteArray()), ("$r", file.Room), ("$o", file.Owner), ("$s", checked((long)file.Size)),
                ("$cs", (long)file.ChunkSize), ("$cc", (long)file.ChunkCount), ("$t", file.CreatedAt.ToUnixTimeMilliseconds()));
            command.ExecuteNonQuery();
        }
    }

    public StoredFile? Find(Guid id)
    {
        lock (_gate)
        {
            using var command = Command("SELECT room, owner, size, chunk_size, chunk_count, created_at, completed_at FROM files WHERE id = $id",
                ("$id", id.ToByteArray()));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            return new StoredFile(id, reader.GetString(0), reader.GetString(1), (ulong)reader.GetInt64(2), (uint)reader.GetInt64(3),
                (uint)reader.GetInt64(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)));
        }
    }

    public ulong BytesOwnedBy(string owner)
    {
        lock (_gate)
        {
            return (ulong)(long)Scalar("SELECT COALESCE(SUM(size), 0) FROM files WHERE owner = $o", ("$o", owner))!;
        }
    }

    public void PutChunk(Guid id, uint index, byte[] data)
    {
        lock (_gate)
        {
            using var command = Command("INSERT OR REPLACE INTO chunks(file_id, idx, data) VALUES ($id, $i, $d)",
                ("$id", id.ToByteArray()), ("$i", (long)index), ("$d", data));
            command.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<uint> ChunksOf(Guid id)
    {
        lock (_gate)
        {
            using var command = Command("SELECT idx FROM chunks WHERE file_id = $id ORDER BY idx", ("$id", id.ToByteArray()));
            using var reader = command.ExecuteReader();
            var chunks = new List<uint>();
            while (reader.Read())
            {
                chunks.Add((uint)reader.GetInt64(0));
            }

            return chunks;
        }
    }

    public byte[]? ReadChunk(Guid id, uint index)
    {
        lock (_gate)
        {
            return Scalar("SELECT data FROM chunks WHERE file_id = $id AND idx = $i", ("$id", id.ToByteArray()), ("$i", (long)index)) as byte[];
        }
    }

    public void MarkComplete(Guid id, DateTimeOffset at)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE files SET completed_at = $t WHERE id = $id AND completed_at IS NULL",
                ("$id", id.ToByteArray()), ("$t", at.ToUnixTimeMilliseconds()));
            command.ExecuteNonQuery();
        }
    }

    public int DeleteIncompleteBefore(DateTimeOffset cutoff)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var chunks = Command(
                "DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE completed_at IS NULL AND created_at < $t)",
                ("$t", cutoff.ToUnixTimeMilliseconds()));
            chunks.Transaction = transaction;
            chunks.ExecuteNonQuery();
            using var files = Command("DELETE FROM files WHERE completed_at IS NULL AND created_at < $t", ("$t", cutoff.ToUnixTimeMilliseconds()));
            files.Transaction = transaction;
            var deleted = files.ExecuteNonQuery();
            transaction.Commit();
            return deleted;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, params (string Name, object Value)[] args)
    {
        using var command = Command(sql, args);
        return command.ExecuteScalar();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] args) => _connection.Command(sql, args);
}
