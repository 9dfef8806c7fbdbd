using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The deployment's node list in the shared PostgreSQL database (schema part "nodes"): one row
/// per node, written by that node's heartbeat and read by every node for its Welcome.
/// </summary>
public sealed class PostgresNodeRegistry : INodeRegistry
{
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE node_registry (
            id text PRIMARY KEY,
            address text NOT NULL,
            last_seen timestamptz NOT NULL
        );
        """,
    ];

    private readonly PostgresStoreDatabase _database;

    public PostgresNodeRegistry(string connectionString, TimeProvider? time = null, ILogger? log = null)
    {
        _database = new PostgresStoreDatabase(connectionString, "node registry", log ?? NullLogger.Instance);
        try
        {
            _database.Migrate("nodes", Steps, time ?? TimeProvider.System);
        }
        catch
        {
            _database.Dispose();
            throw;
        }
    }

    public void Heartbeat(string nodeId, string address, DateTimeOffset now) => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand(
            "INSERT INTO node_registry (id, address, last_seen) VALUES ($1, $2, $3) " +
            "ON CONFLICT (id) DO UPDATE SET address = excluded.address, last_seen = excluded.last_seen", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = nodeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = address });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<NodeRecord> LiveNodes(DateTimeOffset now, TimeSpan window) => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand(
            "SELECT id, address, last_seen FROM node_registry WHERE last_seen >= $1 ORDER BY id COLLATE \"C\"", connection);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = (now - window).UtcDateTime });
        using var reader = command.ExecuteReader();
        var nodes = new List<NodeRecord>();
        while (reader.Read())
        {
            nodes.Add(new NodeRecord(reader.GetString(0), reader.GetString(1), new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero)));
        }

        return (IReadOnlyList<NodeRecord>)nodes;
    });

    public void Remove(string nodeId) => _database.Run(connection =>
    {
        using var command = new NpgsqlCommand("DELETE FROM node_registry WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = nodeId });
        command.ExecuteNonQuery();
    });

    public void Dispose() => _database.Dispose();
}
