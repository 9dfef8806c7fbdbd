using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage.Postgres;

public class PostgresNodeRegistryTests
{
    [PostgresFact]
    public async Task Nodes_are_live_while_their_heartbeat_is_within_the_window_and_gone_once_removed()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var a = new PostgresNodeRegistry(database);
        using var b = new PostgresNodeRegistry(database);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var window = TimeSpan.FromSeconds(10);

        a.Heartbeat("node-a", "a.example:5000", now);
        b.Heartbeat("node-b", "b.example:5000", now.AddSeconds(4));

        Assert.Equal([new("node-a", "a.example:5000", now), new("node-b", "b.example:5000", now.AddSeconds(4))], b.LiveNodes(now.AddSeconds(5), window));
        Assert.Equal(["node-a", "node-b"], a.LiveNodes(now.AddSeconds(10), window).Select(n => n.Id));
        Assert.Equal(["node-b"], a.LiveNodes(now.AddSeconds(11), window).Select(n => n.Id));

        // A heartbeat refreshes the row and may move the node to a new address.
        a.Heartbeat("node-a", "a2.example:5001", now.AddSeconds(11));
        Assert.Equal("a2.example:5001", Assert.Single(b.LiveNodes(now.AddSeconds(20), window)).Address);

        a.Remove("node-a");
        Assert.Equal(["node-b"], b.LiveNodes(now.AddSeconds(12), window).Select(n => n.Id));
        a.Remove("node-a");
    }
}
