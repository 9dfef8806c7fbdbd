using OpenChat.Engine.Server;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>The local bus, recording what would be announced to other nodes, and holding on to
/// the node's side of the bus so a test can play another node.</summary>
internal sealed class AnnouncingBus : IRoomEventBus
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

    /// <summary>The node's side of the bus, as the node attached it.</summary>
    public IRoomEventBusHost? Host { get; private set; }

    public void Attach(IRoomEventBusHost host) => Host = host;
}
