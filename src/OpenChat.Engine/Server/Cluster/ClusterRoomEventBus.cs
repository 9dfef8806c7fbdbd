using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// The event bus of a node among several on one store: local delivery as
/// <see cref="LocalRoomEventBus"/>, every room's delivery in sequence order
/// (<see cref="OrderedRoomDelivery"/>), other nodes' events by core NATS (<see cref="NatsBusLink"/>,
/// subscribed per room only while this node has subscribers to it) and, as the guarantee, by a poll
/// of the store: fast while there is no bus, slow while it is up. Nothing it does on the callers'
/// threads waits for NATS, and no exception escapes its background tasks.
/// </summary>
internal sealed class ClusterRoomEventBus : IRoomEventBus, IAsyncDisposable
{
    private const int SerialsPerMessage = 1000;

    private readonly IMessageStore _store;
    private readonly string _nodeId;
    private readonly ClusterBusOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly LocalRoomEventBus _local = new();
    private readonly OrderedRoomDelivery _order;
    private readonly ClusterSubjects _subjects;
    private readonly NatsBusLink? _link;
    private readonly Lock _gate = new();
    private readonly LogThrottle _refusedLines = new("BusMessageRefused", perSecond: 1, burst: 10);
    private readonly LogThrottle _failureLines = new("bus delivery failures", perSecond: 1, burst: 10);
    private readonly CancellationTokenSource _stopping = new();
    private readonly BusAuthenticator _authenticator;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IRoomEventBusHost? _host;
    private Task _poll = Task.CompletedTask;
    private int _rereadAll;

    /// <param name="natsUrl">The NATS server (null: none, the store is the only path between nodes).</param>
    /// <param name="clusterId">Names the deployment on the bus, so two sharing one NATS server never mix.</param>
    /// <param name="nodeId">This node: what it published itself is ignored when it comes back.</param>
    /// <param name="authenticator">Tags what this node publishes and refuses what no node of the deployment tagged.</param>
    public ClusterRoomEventBus(IMessageStore store, string? natsUrl, string clusterId, string nodeId, BusAuthenticator authenticator, ClusterBusOptions options, TimeProvider time, ILoggerFactory logs)
    {
        _store = store;
        _authenticator = authenticator;
        _nodeId = nodeId;
        _options = options;
        _time = time;
        _log = logs.CreateLogger<ClusterRoomEventBus>();
        _subjects = new ClusterSubjects(clusterId);
        _order = new OrderedRoomDelivery(store, _local);
        if (!string.IsNullOrWhiteSpace(natsUrl))
        {
            _link = new NatsBusLink(natsUrl, nodeId, options, time, _log, Received, BusStateChanged);
            _link.Want(_subjects.Rooms);
            _link.Want(_subjects.Revoked);
        }
    }

    public bool SpansNodes => true;

    /// <summary>Room events delivered to this node's subscribers (for the metrics).</summary>
    public long EventsDelivered => _local.EventsDelivered;

    /// <summary>Whether the NATS connection is up now.</summary>
    internal bool IsBusUp => _link?.IsUp == true;

    /// <summary>How many times the NATS connection came up.</summary>
    internal long TimesBusUp => _link?.TimesUp ?? 0;

    /// <summary>Committed batches delivered as they came on the bus.</summary>
    internal long BatchesFromBus => _order.BatchesFromBus;

    /// <summary>Events delivered from the store (gaps before a batch, and the poll).</summary>
    internal long EventsFromStore => _order.EventsFromStore;

    /// <summary>The subjects subscribed on NATS now.</summary>
    internal IReadOnlyCollection<string> BusSubjects => _link?.Subscribed ?? [];

    /// <summary>The last sequence of the room delivered to this node's subscribers.</summary>
    internal ulong? DeliveredUpTo(string room) => _order.DeliveredUpTo(room);

    public void Attach(IRoomEventBusHost host)
    {
        if (Interlocked.CompareExchange(ref _host, host, null) is not null)
        {
            throw new InvalidOperationException("The bus is attached to a node already.");
        }

        if (_link is null)
        {
            _log.BusWithoutNats(_nodeId, _options.PollInterval.TotalMilliseconds);
        }

        _link?.Start();
        _poll = Task.Run(PollAsync);
    }

    public void Subscribe(string room, IClientChannel channel)
    {
        // Read before subscribing: whatever is committed after it is delivered, from the store if need be.
        var stored = _order.IsFollowed(room) ? null : Stored(room);
        ulong? last = stored?.LastSequence;
        // The room's cache must say where following starts, so the Joined that follows the
        // subscription names it and the client fetches anything before it as history.
        if (stored is not null)
        {
            _host?.Committed(room, stored.LastSequence, stored.Epoch);
        }

        lock (_gate)
        {
            _local.Subscribe(room, channel);
            if (_order.Follow(room, last))
            {
                _link?.Want(_subjects.Room(room));
                _link?.Want(_subjects.Presence(room));
            }
        }
    }

    public void Unsubscribe(string room, IClientChannel channel)
    {
        lock (_gate)
        {
            _local.Unsubscribe(room, channel);
            if (!_local.HasSubscribers(room) && _order.IsFollowed(room))
            {
                _order.Forget(room);
                _link?.Unwant(_subjects.Room(room));
                _link?.Unwant(_subjects.Presence(room));
            }
        }
    }

    public bool HasSubscribers(string room) => _local.HasSubscribers(room);

    public IReadOnlyList<IClientChannel> Subscribers(string room) => _local.Subscribers(room);

    public void Publish(string room, IReadOnlyList<byte[]> chunks)
    {
        _local.Publish(room, chunks);
        if (_link is not null)
        {
            Send(_subjects.Presence(room), BusEnvelope.Transient(_nodeId, chunks));
        }
    }

    public void PublishCommitted(string room, ulong firstSequence, ulong lastSequence, ulong epoch, IReadOnlyList<byte[]> chunks)
    {
        try
        {
            _order.Deliver(room, firstSequence, lastSequence, epoch, chunks, fromBus: false);
        }
        catch (Exception e)
        {
            // Reading a gap from the store failed: the poll delivers the room in order once it works.
            LogFailure(e, "server.bus.deliver");
        }

        if (_link is not null)
        {
            // Too large for one bus message: the others read it from the store.
            var carried = chunks.Sum(c => (long)c.Length) <= _options.MaxEventBytes ? chunks : [];
            Send(_subjects.Room(room), BusEnvelope.Committed(_nodeId, firstSequence, lastSequence, epoch, carried));
        }
    }

    public void AnnounceRoomChanged(string room) => Send(_subjects.Rooms, BusEnvelope.RoomChanged(_nodeId, room));

    private void Send(string subject, byte[] body) => _link?.Publish(subject, _authenticator.Seal(subject, body));

    public void AnnounceRevoked(IReadOnlyList<string> serials)
    {
        for (var i = 0; _link is not null && i < serials.Count; i += SerialsPerMessage)
        {
            Send(_subjects.Revoked, BusEnvelope.Revoked(_nodeId, serials.Skip(i).Take(SerialsPerMessage).ToList()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        Volatile.Read(ref _wake).TrySetResult();
        await _poll.ConfigureAwait(false);
        if (_link is not null)
        {
            await _link.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private StoredRoom? Stored(string room)
    {
        try
        {
            return _store.FindRoom(room) ?? new StoredRoom(room, RoomKind.Room, 0, 0, DateTimeOffset.MinValue);
        }
        catch (Exception e)
        {
            // Not known yet: the first batch delivered or the next poll sets it.
            LogFailure(e, "server.bus.follow");
            return null;
        }
    }

    // On the link's reader tasks.
    private void Received(string subject, byte[] payload)
    {
        try
        {
            var body = _authenticator.Open(subject, payload);
            if (BusEnvelope.Origin(body) == _nodeId)
            {
                return;
            }

            switch (_subjects.Parse(subject))
            {
                case (SubjectKind.Committed, { } room) when _order.IsFollowed(room):
                    var batch = BusEnvelope.ReadCommitted(body);
                    BusChunks.VerifyEvents(room, batch.First, batch.Last, batch.Chunks);
                    if (_order.Deliver(room, batch.First, batch.Last, batch.Epoch, batch.Chunks, fromBus: true) is { } reached)
                    {
                        _host?.Committed(room, reached.Last, reached.Epoch);
                    }

                    break;
                case (SubjectKind.Presence, { } room):
                    var chunks = BusEnvelope.ReadTransient(body);
                    BusChunks.VerifyPresence(room, chunks, _time.GetUtcNow());
                    _local.Publish(room, chunks);
                    break;
                case (SubjectKind.RoomChanged, _):
                    _host?.RoomChanged(BusEnvelope.ReadRoomChanged(body), announced: true);
                    break;
                case (SubjectKind.Revoked, _):
                    _host?.Revoked(BusEnvelope.ReadRevoked(body));
                    break;
            }
        }
        catch (ProtocolException e)
        {
            if (_refusedLines.Admit(_log))
            {
                _log.BusMessageRefused(subject, e.Message);
            }
        }
        catch (Exception e)
        {
            LogFailure(e, "server.bus.receive");
        }
    }

    private void BusStateChanged(bool up)
    {
        if (up)
        {
            // Room changes announced while it was down are lost: read those rooms again once.
            Volatile.Write(ref _rereadAll, 1);
        }

        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private async Task PollAsync()
    {
        var stopping = _stopping.Token;
        var lastMembership = _time.GetTimestamp();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var wake = Volatile.Read(ref _wake).Task;
                var interval = IsBusUp ? _options.SafetyPollInterval : _options.PollInterval;
                await Task.WhenAny(Task.Delay(interval, _time, stopping), wake).ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                {
                    break;
                }

                foreach (var room in _order.Rooms.ToList())
                {
                    CatchUp(room);
                }

                var reread = Interlocked.Exchange(ref _rereadAll, 0) == 1;
                var membershipInterval = IsBusUp ? _options.MembershipSafetyInterval : _options.MembershipPollInterval;
                if (reread || _time.GetElapsedTime(lastMembership) >= membershipInterval)
                {
                    lastMembership = _time.GetTimestamp();
                    foreach (var room in _order.Rooms.ToList())
                    {
                        Reread(room);
                    }
                }
            }
        }
        catch (Exception e)
        {
            // Not expected (each room's failure is handled below); the node goes on without the poll.
            _log.Failed(e, "server.bus.poll");
        }
    }

    private void CatchUp(string room)
    {
        try
        {
            if (_order.CatchUp(room) is { } reached)
            {
                _host?.Committed(room, reached.Last, reached.Epoch);
            }
        }
        catch (Exception e)
        {
            // The store is unavailable now: the next poll tries again.
            LogFailure(e, "server.bus.poll");
        }
    }

    private void Reread(string room)
    {
        try
        {
            _host?.RoomChanged(room, announced: false);
        }
        catch (Exception e)
        {
            LogFailure(e, "server.bus.membership");
        }
    }

    private void LogFailure(Exception e, string where)
    {
        if (_failureLines.Admit(_log))
        {
            _log.Failed(e, where);
        }
    }
}
