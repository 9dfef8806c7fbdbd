namespace OpenChat.Engine.Server;

/// <summary>
/// Who receives a room's events live, and the delivery of them, as Garnet's SubscribeBroker
/// keeps subscriptions apart from its sessions. The hub publishes what the log committed (and
/// presence) here; the bus hands it to the channels subscribed to the room. The local bus does
/// that in process; a NATS bus will also carry it to the other nodes, whose own subscribers
/// then receive it the same way.
/// </summary>
internal interface IRoomEventBus
{
    /// <summary>Whether other nodes share the rooms (they may create a room or change members
    /// without this node's directory seeing it). On a bus that does not, every room is in the
    /// directory's cache, and a name it does not hold is answered from memory, never the store.</summary>
    bool SpansNodes { get; }

    /// <summary>The channel receives the room's events from now on (subscribing twice is one subscription).</summary>
    void Subscribe(string room, IClientChannel channel);

    void Unsubscribe(string room, IClientChannel channel);

    /// <summary>Whether any channel on this node receives the room (presence is skipped otherwise).</summary>
    bool HasSubscribers(string room);

    /// <summary>The channels on this node that receive the room.</summary>
    IReadOnlyList<IClientChannel> Subscribers(string room);

    /// <summary>Delivers transient frames (presence: packed chunks, <see cref="FrameBatch"/>) to
    /// every subscriber of the room, on this node and, on a bus that spans nodes, the others; they
    /// are not in the log, so one lost on the way between nodes is simply lost.</summary>
    void Publish(string room, IReadOnlyList<byte[]> chunks);

    /// <summary>Delivers events this node's log just committed, sequences
    /// <paramref name="firstSequence"/> to <paramref name="lastSequence"/> of the room (gap-free,
    /// in order; <paramref name="epoch"/> is the room's epoch after them), to every subscriber of
    /// the room. Delivery to this node's subscribers is done when it returns, so a publisher that
    /// is a subscriber has its events before the ack that follows them. A bus that spans nodes
    /// keeps each room's delivery in sequence order: events another node committed in between are
    /// delivered first (read from the store if they have not arrived).</summary>
    void PublishCommitted(string room, ulong firstSequence, ulong lastSequence, ulong epoch, IReadOnlyList<byte[]> chunks);

    /// <summary>Tells the other nodes that this node changed the room in the store (created it,
    /// added or removed a member): they drop what they cached of it.</summary>
    void AnnounceRoomChanged(string room);

    /// <summary>Tells the other nodes that these certificates are revoked, so they close their
    /// connections at once (each node's poll of the store stays the guarantee).</summary>
    void AnnounceRevoked(IReadOnlyList<string> serials);

    /// <summary>Connects the bus to this node's rooms: it reports there what other nodes did.
    /// Called once, before the node serves.</summary>
    void Attach(IRoomEventBusHost host);
}

/// <summary>What a bus that spans nodes tells this node about the others.</summary>
internal interface IRoomEventBusHost
{
    /// <summary>The room's record or members may have changed: read it from the store again.
    /// <paramref name="announced"/>: another node said so (else a periodic reread, in case an
    /// announcement was lost).</summary>
    void RoomChanged(string room, bool announced);

    /// <summary>Events another node committed reached this node's subscribers: the room is at
    /// <paramref name="lastSequence"/> and <paramref name="epoch"/> now.</summary>
    void Committed(string room, ulong lastSequence, ulong epoch);

    /// <summary>Another node learned these certificates are revoked: close their connections here.</summary>
    void Revoked(IReadOnlyList<string> serials);
}
