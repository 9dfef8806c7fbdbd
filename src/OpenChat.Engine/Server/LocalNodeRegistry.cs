using System.Collections.Concurrent;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>The node list of a server that shares nothing: kept in memory, it lists the node itself.</summary>
public sealed class LocalNodeRegistry : INodeRegistry
{
    private readonly ConcurrentDictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);

    public void Heartbeat(string nodeId, string address, DateTimeOffset now) => _nodes[nodeId] = new NodeRecord(nodeId, address, now);

    public IReadOnlyList<NodeRecord> LiveNodes(DateTimeOffset now, TimeSpan window) =>
        [.. _nodes.Values.Where(n => now - n.LastSeen <= window).OrderBy(n => n.Id, StringComparer.Ordinal)];

    public void Remove(string nodeId) => _nodes.TryRemove(nodeId, out _);

    public void Dispose()
    {
    }
}
