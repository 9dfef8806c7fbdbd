using OpenChat.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>
/// Writes the client's state file (read positions and outbox) and holds the profile's lock.
/// Disk writes never happen under the dispatch lock: a snapshot is taken under it, then written
/// outside it. Writes are serialised, and a snapshot older than one already written is dropped,
/// so the last snapshot wins. A write that fails is logged and the state stays dirty, so the
/// next tick writes it again. While the client holds the profile's lock it is the only writer
/// of the profile; once released (closed for good) it never writes again, so it cannot rewind
/// the state of a newer session that took the profile over.
/// </summary>
internal sealed class ClientStateStore
{
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _dispatchGate;
    private readonly Func<ClientState> _snapshot;
    private readonly Action<ClientState>? _write;
    private readonly string _path;
    private readonly ILogger _log;
    // Its own lock, not the dispatch lock: a state file written to disk must not hold up frames.
    private readonly Lock _writeGate = new();
    private FileStream? _profileLock;
    private bool _released;
    private long _taken;
    private long _written;
    private int _dirty;

    /// <param name="dispatchGate">The lock under which <paramref name="snapshot"/> may read the client.</param>
    /// <param name="write">Puts a snapshot on disk; null keeps nothing (load generators).</param>
    public ClientStateStore(Lock dispatchGate, Func<ClientState> snapshot, Action<ClientState>? write, string path, FileStream? profileLock, ILogger log)
    {
        _dispatchGate = dispatchGate;
        _snapshot = snapshot;
        _write = write;
        _path = path;
        _profileLock = profileLock;
        _log = log;
    }

    public bool IsDirty => Volatile.Read(ref _dirty) != 0;

    public void MarkDirty() => Interlocked.Exchange(ref _dirty, 1);

    /// <summary>Snapshots under the dispatch lock, then writes outside it; returns whether the
    /// state is on disk (or nothing is kept).</summary>
    public bool SaveNow()
    {
        if (_write is null)
        {
            return true;
        }

        ClientState state;
        long version;
        lock (_dispatchGate)
        {
            Interlocked.Exchange(ref _dirty, 0);
            state = _snapshot();
            version = ++_taken;
        }

        lock (_writeGate)
        {
            if (_released)
            {
                return false; // another session may own the profile now
            }

            if (version <= _written)
            {
                return true; // a newer snapshot is on disk already
            }

            try
            {
                _write(state);
                _written = version;
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A failed save costs a re-read of history (deduplicated); it is written again next tick.
                ClientLog.StateSaveFailed(_log, e, _path, e.GetType().Name);
                MarkDirty();
                return false;
            }
        }
    }

    public bool SaveIfDirty() => !IsDirty || SaveNow();

    /// <summary>Runs <paramref name="save"/> only while this client still holds the profile's
    /// lock (the end-to-end layer writes its own file through this).</summary>
    public bool WhileOwner(Func<bool> save)
    {
        lock (_writeGate)
        {
            return !_released && save();
        }
    }

    /// <summary>Writes what changed every half second until <paramref name="cancellationToken"/>.</summary>
    public async Task RunAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SaveInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    SaveIfDirty();
                }
                catch (Exception e)
                {
                    // Whatever broke this save, the loop goes on (the next tick writes again): it
                    // is what keeps the state on disk, and its end would fail the client's close.
                    MarkDirty();
                    _log.Failed(e, "client.state-save");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closed for good: lets another session use the identity, and never writes again.</summary>
    public void Release()
    {
        lock (_writeGate)
        {
            _profileLock?.Dispose();
            _profileLock = null;
            _released = true;
        }
    }

    /// <summary>Disposed: the profile's lock goes (the last save is done).</summary>
    public void DropLock()
    {
        lock (_writeGate)
        {
            _profileLock?.Dispose();
            _profileLock = null;
        }
    }
}
