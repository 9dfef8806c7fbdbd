using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;
using static OpenChat.Tests.Unit.Server.Cluster.ClusterNodes;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>The server's watchdog tells the other nodes (through its bus) of revocations it finds.</summary>
public sealed class WatchdogAnnouncementTests
{
    [Fact]
    public async Task A_revocation_the_watchdog_finds_is_announced_on_the_bus_once()
    {
        var bus = new AnnouncingBus();
        await using var h = await ChatHarness.StartAsync(o => o.RoomEventBus = bus);
        await h.EnrollAsync("bob");
        await h.EnrollAsync("carol");
        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        var bob = registry.Find(userName: "bob").Single().Serial;
        var carol = registry.Find(userName: "carol").Single().Serial;

        registry.Revoke(bob);
        await Eventually(() => bus.Announced.Contains(bob), "bob's revocation was announced");
        registry.Revoke(carol);
        await Eventually(() => bus.Announced.Contains(carol), "carol's revocation was announced");

        // The poll's windows overlap, so bob's revocation was seen again on later ticks: not announced again.
        Assert.Equal(1, bus.Announced.Count(s => s == bob));
    }
}
