using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Server;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Server;

public class NodeHeartbeatTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_node_lists_itself_first_then_the_others_heard_within_the_window()
    {
        var time = new ManualTime(Start);
        var registry = new LocalNodeRegistry();
        var a = new NodeHeartbeat(registry, "a", () => "a.example.org:7443", time, NullLogger.Instance);
        var b = new NodeHeartbeat(registry, "b", () => "b.example.org:7443", time, NullLogger.Instance);

        Assert.True(b.Beat());
        Assert.True(a.Beat());

        Assert.Equal(["a.example.org:7443", "b.example.org:7443"], a.Nodes);
    }

    [Fact]
    public void A_node_not_heard_from_within_the_window_is_no_longer_listed()
    {
        var time = new ManualTime(Start);
        var registry = new LocalNodeRegistry();
        var a = new NodeHeartbeat(registry, "a", () => "a.example.org:7443", time, NullLogger.Instance);
        var b = new NodeHeartbeat(registry, "b", () => "b.example.org:7443", time, NullLogger.Instance);
        b.Beat();

        time.Advance(NodeHeartbeat.Window + TimeSpan.FromSeconds(1));
        a.Beat();

        Assert.Equal(["a.example.org:7443"], a.Nodes);
    }

    [Fact]
    public void A_node_that_stops_cleanly_leaves_the_list_at_once()
    {
        var time = new ManualTime(Start);
        var registry = new LocalNodeRegistry();
        var a = new NodeHeartbeat(registry, "a", () => "a.example.org:7443", time, NullLogger.Instance);
        var b = new NodeHeartbeat(registry, "b", () => "b.example.org:7443", time, NullLogger.Instance);
        b.Beat();

        b.Leave();
        a.Beat();

        Assert.Equal(["a.example.org:7443"], a.Nodes);
    }

    [Fact]
    public void A_failing_registry_keeps_the_last_list_and_reports_the_failure()
    {
        var time = new ManualTime(Start);
        var registry = new FlakyRegistry();
        var a = new NodeHeartbeat(registry, "a", () => "a.example.org:7443", time, NullLogger.Instance);
        registry.Inner.Heartbeat("b", "b.example.org:7443", Start);
        Assert.True(a.Beat());

        registry.Fail = true;
        Assert.False(a.Beat());

        Assert.Equal(["a.example.org:7443", "b.example.org:7443"], a.Nodes);
    }

    private sealed class FlakyRegistry : INodeRegistry
    {
        public LocalNodeRegistry Inner { get; } = new();

        public bool Fail { get; set; }

        public void Heartbeat(string nodeId, string address, DateTimeOffset now)
        {
            if (Fail)
            {
                throw new OpenChat.Engine.OpenChatException(OpenChat.Engine.ErrorIds.StoreUnavailable, OpenChat.Engine.ErrorKind.Unavailable, "down");
            }

            Inner.Heartbeat(nodeId, address, now);
        }

        public IReadOnlyList<NodeRecord> LiveNodes(DateTimeOffset now, TimeSpan window) => Inner.LiveNodes(now, window);

        public void Remove(string nodeId) => Inner.Remove(nodeId);

        public void Dispose()
        {
        }
    }
}
