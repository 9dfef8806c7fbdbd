using Microsoft.Extensions.Logging;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// The server's room side, composed: the <see cref="RequestRouter"/> takes each decoded
/// request to <see cref="RoomRequests"/> (on top of <see cref="RoomDirectory"/> and
/// <see cref="PresenceTracker"/>), <see cref="HistoryReader"/> or <see cref="RoomPublisher"/>,
/// whose committed events reach the subscribers through the <see cref="IRoomEventBus"/>. It
/// sees channels (<see cref="IClientChannel"/>), never sockets or TLS. Bodies are never
/// opened; only the header fields needed to route and order them are read.
/// </summary>
internal sealed class RoomHub : IAsyncDisposable
{
    private readonly PresenceTracker _presence;
    private readonly RoomPublisher _publisher;
    private readonly RequestRouter _router;

    /// <param name="userExists">Whether a user of that name is enrolled (for direct conversations).</param>
    /// <param name="revocations">The current CA-signed revocation list, as served to clients.</param>
    /// <param name="isRevoked">Whether a certificate serial is revoked now.</param>
    public RoomHub(IMessageStore store, ChatServerOptions options, Func<string, bool> userExists, Func<byte[]> revocations,
        Func<string, bool> isRevoked, TimeProvider? time = null, IFileStore? files = null, Func<IReadOnlyList<byte[]>>? revocationLists = null,
        Func<string, string?>? renewedFrom = null, IRoomEventBus? bus = null, Diagnostics.ServerMetrics? metrics = null)
    {
        time ??= TimeProvider.System;
        Bus = bus ??= options.RoomEventBus ?? new LocalRoomEventBus();
        var logs = options.LoggerFactory;
        Directory = new RoomDirectory(store, bus, options, time, logs.CreateLogger<RoomDirectory>());
        _presence = new PresenceTracker(Directory, bus, time);
        _publisher = new RoomPublisher(Directory, bus, store, options, isRevoked, time, logs.CreateLogger<RoomPublisher>(), renewedFrom, metrics);
        var history = new HistoryReader(Directory, store, options, ClientConnection.MaxQueuedBytes / 8);
        var fileRequests = files is null ? null : new FileRequests(files, Directory, options, time, logs.CreateLogger<FileRequests>());
        _router = new RequestRouter(new RoomRequests(Directory, _presence, userExists), _publisher, history, revocations,
            logs.CreateLogger<RequestRouter>(), fileRequests, revocationLists, metrics);
        bus.Attach(new BusHost(this, isRevoked, logs.CreateLogger<RoomHub>()));
    }

    /// <summary>The rooms and members; a bus that learns of another node's change calls
    /// <see cref="RoomDirectory.Invalidate"/> here.</summary>
    public RoomDirectory Directory { get; }

    /// <summary>The bus the rooms' events go out on (the watchdog announces revocations there).</summary>
    public IRoomEventBus Bus { get; }

    public int RoomCount => Directory.Count;

    public long MessagesStored => _publisher.MessagesStored;

    public double MessagesPerSecond => _publisher.MessagesPerSecond;

    /// <summary>Room events handed to this node's subscribers, for the metrics.</summary>
    public long EventsDelivered => Bus switch
    {
        LocalRoomEventBus local => local.EventsDelivered,
        Cluster.ClusterRoomEventBus cluster => cluster.EventsDelivered,
        _ => 0,
    };

    public void Connected(IClientChannel channel) => _presence.Connected(channel);

    public void Disconnected(IClientChannel channel)
    {
        Directory.UnsubscribeAll(channel);
        _presence.Disconnected(channel);
    }

    /// <summary>Live channels of the users whose certificates are in <paramref name="serials"/>.</summary>
    public List<IClientChannel> ConnectionsWithSerials(IReadOnlySet<string> serials) => _presence.ChannelsWithSerials(serials);

    public ValueTask HandleAsync(IClientChannel channel, Frame frame) => _router.HandleAsync(channel, frame);

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();

    /// <summary>A direct conversation another node opened: its members online here learn of it at
    /// once on every device, as they would if it had been opened on this node.</summary>
    private void OfferDirect(string name)
    {
        if (Directory.Find(name) is not { Kind: RoomKind.Direct } room)
        {
            return;
        }

        foreach (var member in room.Members())
        {
            foreach (var peer in _presence.ChannelsOf(member).Where(p => !p.Subscriptions.ContainsKey(name)))
            {
                Directory.Subscribe(peer, room);
                peer.Send(new Joined(0, room.Name, room.Kind, room.LastSequence, room.Epoch));
            }
        }
    }

    /// <summary>Where the bus reports what other nodes did.</summary>
    private sealed class BusHost(RoomHub hub, Func<string, bool> isRevoked, ILogger log) : IRoomEventBusHost
    {
        public void RoomChanged(string room, bool announced)
        {
            hub.Directory.Invalidate(room);
            if (announced)
            {
                // Only a node's announcement means a direct conversation may be new; offering it on
                // every periodic reread would push Joined at members who closed it here.
                hub.OfferDirect(room);
            }
        }

        public void Committed(string room, ulong lastSequence, ulong epoch) => hub.Directory.Find(room)?.Advance(lastSequence, epoch);

        public void Revoked(IReadOnlyList<string> serials)
        {
            // The bus only says where to look: the store says what is revoked, so a message
            // forged on the bus cannot close anyone's connection. Only serials connected here are
            // looked up, so a replayed notice of a thousand serials costs no thousand queries.
            var connected = hub.ConnectionsWithSerials(serials.ToHashSet(StringComparer.Ordinal));
            var revoked = connected.Select(c => c.Identity!.Serial).Distinct(StringComparer.Ordinal).Where(isRevoked).ToHashSet(StringComparer.Ordinal);
            foreach (var channel in connected.Where(c => revoked.Contains(c.Identity!.Serial)))
            {
                Diagnostics.ObserveLog.RevokedElsewhereClosed(log, channel.UserName, channel.Identity?.Serial ?? "", channel.RemoteAddress);
                channel.Close(ErrorIds.CertificateRevoked, "Your certificate was revoked by the server's admin.");
            }
        }
    }
}
