namespace OpenChat.Engine.Storage;

/// <summary>One server node as the others see it: a stable id, the address clients dial
/// (<c>host:port</c>), and when it last said it was alive.</summary>
public sealed record NodeRecord(string Id, string Address, DateTimeOffset LastSeen);

/// <summary>
/// The live nodes of a deployment, for the <c>Welcome</c> that tells clients where else they may
/// connect. Each node writes its own heartbeat; a node whose heartbeat is older than the window a
/// caller gives is not live. One node on SQLite has only itself; on PostgreSQL the table is shared.
/// </summary>
public interface INodeRegistry : IDisposable
{
    /// <summary>Records that the node is alive now at its address (inserted or refreshed).</summary>
    void Heartbeat(string nodeId, string address, DateTimeOffset now);

    /// <summary>Nodes whose heartbeat is no older than <paramref name="window"/> at <paramref name="now"/>, by id.</summary>
    IReadOnlyList<NodeRecord> LiveNodes(DateTimeOffset now, TimeSpan window);

    /// <summary>Takes the node off the list (it is stopping cleanly).</summary>
    void Remove(string nodeId);
}
