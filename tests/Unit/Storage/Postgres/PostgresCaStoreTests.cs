using System.Security.Cryptography.X509Certificates;
using Npgsql;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit;

namespace OpenChat.Tests.Unit.Storage.Postgres;

/// <summary>What only the PostgreSQL CA store has: one CA per database whatever the data
/// directory, archiving into a schema, and a database that goes away and comes back.</summary>
public class PostgresCaStoreTests
{
    [PostgresFact]
    public async Task Factories_creating_at_once_on_an_empty_database_make_exactly_one_ca()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var temp = new TempDirectory();
        var factories = Enumerable.Range(0, 4).Select(_ => new PostgresCaStoreFactory(database)).ToArray();
        using var start = new Barrier(factories.Length);

        var outcomes = await Task.WhenAll(factories.Select((factory, i) => Task.Run(() =>
        {
            start.SignalAndWait();
            try
            {
                using var store = factory.Create(temp.Combine("node" + i));
                store.SetSetting("created_by", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return (Error: (OpenChatException?)null, Node: i);
            }
            catch (OpenChatException e)
            {
                return (Error: e, Node: i);
            }
        })));

        var winner = Assert.Single(outcomes, o => o.Error is null);
        var losers = outcomes.Where(o => o.Error is not null).Select(o => o.Error!).ToList();
        Assert.Equal(3, losers.Count);
        Assert.All(losers, e =>
        {
            Assert.Equal(ErrorIds.CaAlreadyExists, e.ErrorId);
            Assert.Equal(ErrorKind.AlreadyExists, e.Kind);
            Assert.Contains("already holds an OpenChat certificate authority", e.Message);
        });
        using var opened = factories[0].Open(temp.Combine("anywhere"));
        Assert.Equal(winner.Node.ToString(System.Globalization.CultureInfo.InvariantCulture), opened.GetSetting("created_by"));
        Assert.Equal(1L, await CountAsync(database, "SELECT COUNT(*) FROM ca_authority"));
    }

    [PostgresFact]
    public async Task Two_fresh_nodes_creating_a_ca_at_once_on_one_database_leave_one_ca_and_no_stray_key()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var temp = new TempDirectory();
        using var start = new Barrier(2);

        var outcomes = await Task.WhenAll(new[] { "node-a", "node-b" }.Select(node => Task.Run(() =>
        {
            start.SignalAndWait();
            try
            {
                CertificateAuthority.Create(temp.Combine(node), "CA of " + node, "", stores: new PostgresCaStoreFactory(database));
                return (Node: node, Error: (string?)null);
            }
            catch (OpenChatException e)
            {
                return (Node: node, Error: e.ErrorId);
            }
        })));

        var winner = Assert.Single(outcomes, o => o.Error is null).Node;
        var loser = Assert.Single(outcomes, o => o.Error is not null);
        Assert.Equal(ErrorIds.CaAlreadyExists, loser.Error);
        Assert.False(File.Exists(Path.Combine(temp.Combine(loser.Node), CaDirectory.KeyFile)));
        Assert.False(File.Exists(Path.Combine(temp.Combine(loser.Node), CaDirectory.CertificateFile)));
        Assert.True(File.Exists(Path.Combine(temp.Combine(winner), CaDirectory.KeyFile)));
    }

    [PostgresFact]
    public async Task The_database_holds_the_ca_whichever_data_directory_asks()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var temp = new TempDirectory();
        var factory = new PostgresCaStoreFactory(database);
        using (var store = factory.Create(temp.Combine("node-a")))
        {
            store.SetSetting("k", "v");
        }

        Assert.True(new PostgresCaStoreFactory(database).Exists(temp.Combine("node-b")));
        using var other = new PostgresCaStoreFactory(database).Open(temp.Combine("node-b"));
        Assert.Equal("v", other.GetSetting("k"));
        Assert.False(Directory.Exists(temp.Path)); // nothing of the store lives in a directory
    }

    [PostgresFact]
    public async Task Archiving_moves_the_ca_into_a_schema_of_its_own_and_a_new_ca_starts_empty()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var temp = new TempDirectory();
        var archive = temp.Combine("replaced-1");
        Directory.CreateDirectory(archive);
        var factory = new PostgresCaStoreFactory(database, new ManualTime(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero)));
        using (var store = factory.Create(temp.Path))
        {
            var now = DateTimeOffset.UtcNow;
            store.AddCertificate(new CertificateRecord("01", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), true, now);
        }

        factory.Archive(temp.Path, archive);

        Assert.False(factory.Exists(temp.Path));
        Assert.Equal(1L, await CountAsync(database, "SELECT COUNT(*) FROM ca_archive_20260601120000000.ca_certificates"));
        Assert.Contains("ca_archive_20260601120000000", File.ReadAllText(Path.Combine(archive, PostgresCaStoreFactory.ArchiveNoteFile)));
        using var fresh = factory.Create(temp.Path);
        Assert.Empty(fresh.FindCertificates());
        Assert.Equal(1, fresh.NextCrlNumber());
    }

    [PostgresFact]
    public async Task An_unreachable_database_is_store_unavailable_and_the_store_works_again_once_it_is_back()
    {
        await using var server = await PostgresServer.StartAsync();
        // Trust authentication ignores the password; it is here to be kept out of the messages.
        var database = await server.CreateDatabaseAsync() + ";Password=never-in-a-message";
        using var store = new PostgresCaStoreFactory(database).Create("unused");
        store.SetSetting("k", "before");

        server.Stop();
        var down = Assert.Throws<OpenChatException>(() => store.GetSetting("k"));
        var write = Assert.Throws<OpenChatException>(() => store.NextCrlNumber());

        Assert.Equal(ErrorIds.StoreUnavailable, down.ErrorId);
        Assert.Equal(ErrorKind.Unavailable, down.Kind);
        Assert.Contains("PostgreSQL database", down.Message);
        Assert.Contains("cannot be reached", down.Message);
        Assert.DoesNotContain("never-in-a-message", down.Message + write.Message);
        Assert.Equal(ErrorIds.StoreUnavailable, write.ErrorId);
        await server.RestartAsync();

        Assert.Equal("before", store.GetSetting("k"));
        Assert.Equal(1, store.NextCrlNumber());
    }

    [PostgresFact]
    public async Task A_restart_between_two_calls_does_not_fail_the_next_one()
    {
        await using var server = await PostgresServer.StartAsync();
        var database = await server.CreateDatabaseAsync();
        using var store = new PostgresCaStoreFactory(database).Create("unused");
        store.SetSetting("k", "v");
        Assert.Equal("v", store.GetSetting("k")); // the pool now holds connections the restart will break

        await server.RestartAsync();

        Assert.Equal("v", store.GetSetting("k"));
        store.SetSetting("k", "w");
        Assert.Equal("w", store.GetSetting("k"));
    }

    [PostgresFact]
    public async Task A_certificate_authority_on_postgresql_issues_and_revokes_and_a_second_node_sees_it()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("node-a"), "PG CA", "", stores: new PostgresCaStoreFactory(database));
        Assert.False(File.Exists(directory.StorePath));
        using var authority = CertificateAuthority.Open(directory, "");

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var issued = authority.IssueClient("alice");
        issued.Certificate.Dispose();
        var nodeB = new CaDirectory(directory.Path, new PostgresCaStoreFactory(database));
        var seen = Assert.Single(new CertificateRegistry(nodeB).Find(CertificateKind.Client, "alice"));
        Assert.Equal(issued.Record.Serial, seen.Serial);

        new CertificateRegistry(nodeB).Revoke(seen.Serial, X509RevocationReason.KeyCompromise);
        Assert.Equal(CertificateStatus.Revoked, directory.Store.GetCertificate(issued.Record.Serial)!.StatusAt(DateTimeOffset.UtcNow));
        Assert.Contains(issued.Record.Serial, directory.Store.RevokedSince(before));
    }

    private static async Task<long> CountAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
