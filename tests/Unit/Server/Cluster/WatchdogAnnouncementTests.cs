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

    /// <summary>The local bus, recording what would be announced to other nodes.</summary>
    private sealed class AnnouncingBus : IRoomEventBus
    {
        private readonly LocalRoomEventBus _local = new();
        private readonly Lock _gate = new();
        private readonly List<string> _announced = [];

        public IReadOnlyList<string> Announced
        {
            get
            {
                lock (_gate)
                {
                    return [.. _announced];
                }
            }
        }

        public bool SpansNodes => false;

        public void Subscribe(string room, IClientChannel channel) => _local.Subscribe(room, channel);

        public void Unsubscribe(string room, IClientChannel channel) => _local.Unsubscribe(room, channel);

        public bool HasSubscribers(string room) => _local.HasSubscribers(room);

        public IReadOnlyList<IClientChannel> Subscribers(string room) => _local.Subscribers(room);

        public void Publish(string room, IReadOnlyList<byte[]> chunks) => _local.Publish(room, chunks);

        public void PublishCommitted(string room, ulong firstSequence, ulong lastSequence, ulong epoch, IReadOnlyList<byte[]> chunks) =>
            _local.PublishCommitted(room, firstSequence, lastSequence, epoch, chunks);

        public void AnnounceRoomChanged(string room)
        {
        }

        public void AnnounceRevoked(IReadOnlyList<string> serials)
        {
            lock (_gate)
            {
                _announced.AddRange(serials);
            }
        }

        public void Attach(IRoomEventBusHost host)
        {
        }
    }
}
