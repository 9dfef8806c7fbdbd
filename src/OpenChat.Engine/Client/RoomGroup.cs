using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// One room's encrypted group on this device: the only way to its <see cref="GroupState"/>, the
/// last sequence processed and the send lock. The pump changes the state while senders read it,
/// so every read and write goes through <see cref="Read{T}"/> or <see cref="Update"/>, under the
/// room's own gate (short and never across an await: a reader gets a snapshot, never the state).
/// The send lock is separate and async: a sender holds it across a publish and the wait for the
/// pump to process what came back, which the pump could not do if both were one gate.
/// </summary>
internal sealed class RoomGroup
{
    private readonly Lock _gate = new();
    private readonly GroupState _state;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly IReadPositions _positions;
    private readonly ILogger _log;
    private ulong _catchUpTarget;

    /// <param name="positions">The owner of the room's read position (the client); the position
    /// is read and moved only under this room's gate, with the state it belongs to.</param>
    public RoomGroup(GroupState state, IReadPositions positions, ILogger? log = null)
    {
        _state = state;
        _positions = positions;
        _log = log ?? NullLogger.Instance;
    }

    public string Room => _state.Room;

    /// <summary>The hash of the commit that founded the room's group, when this session saw it
    /// applied (a creator checks that the founding was its own, whatever came after it).</summary>
    public byte[]? FoundingCommitHash
    {
        get
        {
            lock (_gate)
            {
                return field;
            }
        }

        private set => field = value;
    }

    public ulong ProcessedThrough
    {
        get
        {
            lock (_gate)
            {
                return _positions.ProcessedThrough(Room);
            }
        }
    }

    /// <summary>How far the room's history has been processed, against where it stood at join.</summary>
    public (ulong Processed, ulong Target) CatchUp
    {
        get
        {
            lock (_gate)
            {
                return (_positions.ProcessedThrough(Room), _catchUpTarget);
            }
        }
    }

    public void SetCatchUpTarget(ulong target)
    {
        lock (_gate)
        {
            _catchUpTarget = target;
        }
    }

    public T Read<T>(Func<GroupState, T> read)
    {
        lock (_gate)
        {
            return read(_state);
        }
    }

    public void Update(Action<GroupState> update)
    {
        lock (_gate)
        {
            update(_state);
        }
    }

    /// <summary>Whether judging <paramref name="e"/> needs the newest revocations first (a removal
    /// not processed yet).</summary>
    public bool NeedsRevocations(RoomEvent e)
    {
        lock (_gate)
        {
            return e.Sequence > _positions.ProcessedThrough(Room) && _state.RemovalNeedsRevocations(e);
        }
    }

    /// <summary>Applies the next event; null when it was processed before.</summary>
    public GroupOutcome? Process(RoomEvent e)
    {
        lock (_gate)
        {
            if (e.Sequence <= _positions.ProcessedThrough(Room))
            {
                return null;
            }

            GroupOutcome outcome;
            try
            {
                var epochBefore = _state.Epoch;
                outcome = _state.Process(e);
                if (epochBefore == 0 && _state.Epoch == 1)
                {
                    FoundingCommitHash = _state.LastCommitHash;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // No event, however hostile, may end the pump: it is refused and skipped.
                _log.Failed(ex, "secure.group.process");
                outcome = GroupOutcome.Reject($"the {e.Kind} could not be processed ({ex.GetType().Name})");
            }

            _positions.AdvanceProcessed(Room, e.Sequence);
            return outcome;
        }
    }

    public SessionStateFile.RoomData Export()
    {
        lock (_gate)
        {
            return new SessionStateFile.RoomData { Group = _state.Export(), ProcessedThrough = _positions.ProcessedThrough(Room) };
        }
    }

    /// <summary>Waits for the room's send lock: one commit or message of this device at a time.</summary>
    public async Task<SendLease> EnterSendingAsync(CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new SendLease(_sending);
    }

    public readonly struct SendLease(SemaphoreSlim sending) : IDisposable
    {
        public void Dispose() => sending.Release();
    }
}
