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

    /// <summary>Delivers frames (packed chunks, <see cref="FrameBatch"/>) to every subscriber of
    /// the room, in order. Delivery to this node's subscribers is done when it returns, so a
    /// publisher that is a subscriber has its events before the ack that follows them.</summary>
    void Publish(string room, IReadOnlyList<byte[]> chunks);
}
