namespace OpenChat.Engine.Client;

/// <summary>What the outbox (<see cref="SecureOutbox"/>) needs of the sending side
/// (<see cref="GroupSender"/>): sending one queued message, and waiting for the other person of a
/// direct conversation whose group has no device of theirs yet.</summary>
internal interface IQueuedDelivery
{
    /// <summary>Encrypts and sends a queued message; its sequence once the server stored it.
    /// Fails with PeerNotJoined, at once, for a direct message whose group has no device of the
    /// other person yet.</summary>
    Task<ulong> DeliverAsync(OutgoingMessage outgoing, CancellationToken cancellationToken);

    /// <summary>Completes once a device of the other person is in the room's group.</summary>
    Task WaitForPeerAsync(string room, CancellationToken cancellationToken);

    /// <summary>Completes when a newer revocation list than any before has been accepted.</summary>
    Task NextRevocationList { get; }
}
