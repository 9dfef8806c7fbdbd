using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;

namespace OpenChat.Engine.Client;

/// <summary>Where a queued message stands.</summary>
public enum OutgoingState
{
    /// <summary>Kept in the outbox (saved, encrypted, in the profile) until the server has it (or,
    /// for a direct message, until the other person's device has joined; see
    /// <see cref="OutgoingMessage.WaitingFor"/>).</summary>
    Pending,

    /// <summary>Stored by the server, which gave it <see cref="OutgoingMessage.Sequence"/>.</summary>
    Sent,

    /// <summary>Refused for good (see <see cref="OutgoingMessage.Error"/>); it is no longer queued.</summary>
    Failed,
}

/// <summary>A message as typed, waiting to be sent: what the session's outbox keeps.</summary>
public sealed class QueuedMessage
{
    public Guid MessageId { get; set; }

    public string Room { get; set; } = "";

    public string Text { get; set; } = "";

    public DateTimeOffset QueuedAt { get; set; }
}

/// <summary>A message queued by <see cref="SecureSession.Queue"/>, followed until the server has it.</summary>
public sealed class OutgoingMessage
{
    private readonly TaskCompletionSource<ulong> _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _deferred = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal OutgoingMessage(QueuedMessage entry, bool restored)
    {
        Entry = entry;
        Restored = restored;
    }

    internal QueuedMessage Entry { get; }

    /// <summary>Queued by an earlier run of the session: nobody here waits for it.</summary>
    internal bool Restored { get; }

    public Guid MessageId => Entry.MessageId;

    public string Room => Entry.Room;

    public string Text => Entry.Text;

    public DateTimeOffset QueuedAt => Entry.QueuedAt;

    public OutgoingState State { get; private set; }

    public ulong? Sequence { get; private set; }

    public OpenChatException? Error { get; private set; }

    /// <summary>While the message is pending because the other person of a direct conversation
    /// has no device in its encryption yet (they have never been online, or not since it was
    /// opened): their user name. Null otherwise.</summary>
    public string? WaitingFor { get; private set; }

    /// <summary>Completes with the sequence once the server has stored the message; fails if it
    /// is refused for good (or, with ConnectionLost, if the session closes first: it stays queued
    /// in the profile and goes with the next session).</summary>
    public Task<ulong> Delivered => _delivered.Task;

    /// <summary>Completes when the message cannot go now (no connection, or the server cannot
    /// take it yet): it waits in the outbox and goes by itself later.</summary>
    public Task Deferred => _deferred.Task;

    internal void Defer(string? waitingFor = null)
    {
        if (waitingFor is not null)
        {
            WaitingFor = waitingFor;
        }

        _deferred.TrySetResult();
    }

    // A device of the other person joined: the message no longer waits for them.
    internal void PeerJoined() => WaitingFor = null;

    internal void Complete(ulong sequence)
    {
        if (State == OutgoingState.Pending)
        {
            Sequence = sequence;
            WaitingFor = null;
            State = OutgoingState.Sent;
        }

        _delivered.TrySetResult(sequence);
    }

    internal void Fail(OpenChatException error)
    {
        if (State == OutgoingState.Pending)
        {
            Error = error;
            WaitingFor = null;
            State = OutgoingState.Failed;
        }

        _delivered.TrySetException(error);
    }

    // The session closes with the message still queued (and saved): waiting callers are let go.
    internal void Abandon(OpenChatException reason)
    {
        _deferred.TrySetResult();
        _delivered.TrySetException(reason);
    }
}
