using System.Text;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage.Backup;

/// <summary>The backup docs/operations.md gives a PostgreSQL deployment: pg_dump of its database
/// (custom format) restored with pg_restore into a new one, a node on it with a copy of the data
/// directory.</summary>
public class PostgresDumpRestoreTests
{
    [PostgresFact]
    public async Task A_deployments_database_dumped_with_pg_dump_and_restored_with_pg_restore_serves_its_messages_and_its_CA()
    {
        var postgres = await PostgresServer.Shared;
        using var temp = new TempDirectory();
        var database = await postgres.CreateDatabaseAsync();
        var nodePath = temp.Combine("node");
        var sent = new Dictionary<ulong, string>();
        var node = await OpenChat.Engine.Server.ChatServer.StartAsync(nodePath, new ChatServerOptions { Port = 0, Database = database });
        try
        {
            await using var alice = await Enroll(nodePath, node, "alice", temp.Combine("profiles"));
            await alice.CreateRoomAsync("ops");
            for (var i = 1; i <= 20; i++)
            {
                sent[await alice.PublishAsync("ops", Encoding.UTF8.GetBytes($"m{i}"))] = $"m{i}";
            }

            // While the node runs: pg_dump takes one consistent snapshot.
            await postgres.DumpToFileAsync(database, temp.Combine("openchat.dump"));
        }
        finally
        {
            await node.StopAsync();
        }

        var restoredDatabase = await postgres.CreateDatabaseAsync();
        await postgres.RestoreFromFileAsync(temp.Combine("openchat.dump"), restoredDatabase);
        var restoredPath = temp.Combine("restored-node");
        Directory.CreateDirectory(restoredPath);
        foreach (var file in CaDirectory.NodeFiles)
        {
            File.Copy(Path.Combine(nodePath, file), Path.Combine(restoredPath, file));
        }

        var restored = await OpenChat.Engine.Server.ChatServer.StartAsync(restoredPath, new ChatServerOptions { Port = 0, Database = restoredDatabase });
        try
        {
            // The CA's records came back with the database: a new user enrolls and reads the room.
            await using var carol = await Enroll(restoredPath, restored, "carol", temp.Combine("profiles"));
            var joined = await carol.JoinAsync("ops", fromSequence: 1);
            Assert.Equal(sent.Keys.Max(), joined.LastSequence);
            var history = new Dictionary<ulong, string>();
            while (history.Count < sent.Count)
            {
                var e = await Eventually.NextAsync(carol);
                history[e.Sequence] = Encoding.UTF8.GetString(e.Body);
            }

            Assert.Equal(sent.OrderBy(p => p.Key), history.OrderBy(p => p.Key));
        }
        finally
        {
            await restored.StopAsync();
        }
    }

    private static async Task<ChatClient> Enroll(string dataPath, OpenChat.Engine.Server.ChatServer server, string user, string profiles)
    {
        var (_, invite) = new InviteBook(new CaDirectory(dataPath)).Create(user, server: $"127.0.0.1:{server.Endpoint.Port}");
        var profile = await ChatEnrollment.RegisterAsync(invite.ToString(), profiles, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        return await ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, new ChatClientOptions());
    }
}
