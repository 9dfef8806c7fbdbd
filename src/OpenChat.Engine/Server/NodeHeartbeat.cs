using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// Keeps this node on the deployment's node list and the list of live nodes at hand: every
/// <see cref="Interval"/> it writes its heartbeat and reads the others', so a handshake takes the
/// list from memory and never waits on the database. A node not heard from within
/// <see cref="Window"/> is not live; a clean stop takes this node off at once.
/// </summary>
internal sealed class NodeHeartbeat(INodeRegistry registry, string nodeId, Func<string> address, TimeProvider time, ILogger log)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private volatile IReadOnlyList<string> _others = [];

    /// <summary>The addresses clients may reconnect to: this node first, then the other live nodes.</summary>
    public IReadOnlyList<string> Nodes => [address(), .. _others];

    /// <summary>Writes the heartbeat and reads the list once; false (logged) when the registry failed.</summary>
    public bool Beat()
    {
        try
        {
            var now = time.GetUtcNow();
            var self = address();
            registry.Heartbeat(nodeId, self, now);
            _others = [.. registry.LiveNodes(now, Window)
                .Where(n => n.Id != nodeId && !string.Equals(n.Address, self, StringComparison.OrdinalIgnoreCase))
                .Select(n => n.Address).Distinct(StringComparer.OrdinalIgnoreCase)];
            return true;
        }
        catch (Exception e)
        {
            // The node serves on with the list it had; the next beat tries again.
            log.Failed(e, "server.node-heartbeat");
            return false;
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            using var timer = new PeriodicTimer(Interval, time);
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                Beat();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The server is stopping.
        }
        catch (Exception e)
        {
            log.Failed(e, "server.node-heartbeat-loop");
        }
    }

    /// <summary>Takes this node off the list (a clean stop).</summary>
    public void Leave()
    {
        try
        {
            registry.Remove(nodeId);
        }
        catch (Exception e)
        {
            // Its heartbeat ages out of the window instead.
            log.Failed(e, "server.node-leave");
        }
    }
}
