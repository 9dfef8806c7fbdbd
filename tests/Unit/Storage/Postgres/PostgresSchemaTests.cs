using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OpenChat.Engine;
using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit;

namespace OpenChat.Tests.Unit.Storage.Postgres;

public class PostgresSchemaTests
{
    private static readonly string[] TwoSteps =
    [
        "CREATE TABLE probe (id bigint PRIMARY KEY)",
        "ALTER TABLE probe ADD COLUMN note text NOT NULL DEFAULT ''",
    ];

    [PostgresFact]
    public async Task A_new_database_is_brought_to_the_latest_version_and_a_second_start_changes_nothing()
    {
        var server = await PostgresServer.Shared;
        await using var database = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());

        Assert.Equal(0, PostgresSchema.VersionOf(database, "probe"));
        Assert.Equal(0, PostgresSchema.Migrate(database, "probe", TwoSteps, TimeProvider.System, NullLogger.Instance));
        Assert.Equal(2, PostgresSchema.VersionOf(database, "probe"));
        Assert.Equal(2, PostgresSchema.Migrate(database, "probe", TwoSteps, TimeProvider.System, NullLogger.Instance));

        await using var insert = database.CreateCommand("INSERT INTO probe (id, note) VALUES (1, 'x')");
        Assert.Equal(1, await insert.ExecuteNonQueryAsync());
    }

    [PostgresFact]
    public async Task A_database_at_an_older_version_runs_only_the_missing_steps()
    {
        var server = await PostgresServer.Shared;
        await using var database = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        PostgresSchema.Migrate(database, "probe", TwoSteps[..1], TimeProvider.System, NullLogger.Instance);

        Assert.Equal(1, PostgresSchema.Migrate(database, "probe", TwoSteps, TimeProvider.System, NullLogger.Instance));
        Assert.Equal(2, PostgresSchema.VersionOf(database, "probe"));
    }

    [PostgresFact]
    public async Task A_database_newer_than_the_code_is_refused_and_left_alone()
    {
        var server = await PostgresServer.Shared;
        await using var database = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        PostgresSchema.Migrate(database, "probe", [.. TwoSteps, "ALTER TABLE probe ADD COLUMN later int"], TimeProvider.System, NullLogger.Instance);

        var refusal = Assert.Throws<OpenChatException>(() => PostgresSchema.Migrate(database, "probe", TwoSteps, TimeProvider.System, NullLogger.Instance));
        Assert.Equal(ErrorIds.StoreVersionUnsupported, refusal.ErrorId);
        Assert.Equal(3, PostgresSchema.VersionOf(database, "probe"));
    }

    [PostgresFact]
    public async Task Nodes_starting_together_migrate_once()
    {
        var server = await PostgresServer.Shared;
        await using var database = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());

        var starts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => PostgresSchema.Migrate(database, "probe", TwoSteps, TimeProvider.System, NullLogger.Instance))));

        Assert.Equal(1, starts.Count(found => found == 0));
        Assert.Equal(3, starts.Count(found => found == 2));
    }
}
