using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>A room the client has joined, as the server described it.</summary>
public sealed record JoinedRoom(string Name, RoomKind Kind, ulong LastSequence, ulong Epoch);

/// <summary>
/// A user's session with a chat server. It reconnects by itself after a dropped connection,
/// rejoins its rooms, fills gaps from history, and resends unacknowledged messages with their
/// original ids (the server deduplicates them). Events come out of <see cref="ReceiveAsync"/>
/// exactly once and in sequence order per room. Nothing here throws on a background thread:
/// failures surface through the awaited calls and <see cref="StateChanged"/>.
/// </summary>
public sealed partial class ChatClient : IAsyncDisposable
{
    private readonly ChatProfile _profile;
    private readonly X509Certificate2 _identity;
    private readonly X509Certificate2 _ca;
    private readonly ChatClientOptions _options;

    internal TimeProvider Time => _options.Time;

    internal int MaxUnreadPerRoom => _options.MaxUnreadPerRoom;

    internal long MaxUnreadCharsPerRoom => _options.MaxUnreadCharsPerRoom;
    private readonly string _server;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomCursor> _rooms = new(StringComparer.Ordinal);
    private readonly List<Outgoing> _outbox = [];
    private readonly Channel<RoomEvent> _events = Channel.CreateUnbounded<RoomEvent>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly CancellationTokenSource _disposing = new();
    private readonly ClientState _state;
    private Session? _session;
    private FileStream? _profileLock;
    private readonly Lock _ownerGate = new();
    private bool _released;
    private Task _supervisor = Task.CompletedTask;
    private Task _keepAlive = Task.CompletedTask;
    private int _stateDirty;
    private uint _nextTag;

    private ChatClient(ChatProfile profile, X509Certificate2 identity, ChatClientOptions options)
    {
        _profile = profile;
        _identity = identity;
        _ca = profile.LoadCaCertificate();
        _options = options;
        _server = options.Server ?? profile.Server;
        _state = options.PersistState ? profile.LoadState() : new ClientState();
        foreach (var entry in _state.Outbox)
        {
            _outbox.Add(new Outgoing(entry));
        }
    }

    public string UserName => _profile.UserName;

    public string Server => _server;

    public ChatProfile Profile => _profile;

    public ChatClientState State { get; private set; } = ChatClientState.Connected;

    /// <summary>Why the client closed for good (for example CertificateRevoked), if it did.</summary>
    public string? ClosedReason { get; private set; }

    public IReadOnlyCollection<string> JoinedRooms
    {
        get
        {
            lock (_gate)
            {
                return [.. _rooms.Keys];
            }
        }
    }

    public int PendingOutgoing
    {
        get
        {
            lock (_gate)
            {
                return _outbox.Count;
            }
        }
    }

    /// <summary>The ids of the publishes waiting in the outbox for the server's acknowledgement.</summary>
    internal IReadOnlyList<Guid> PendingOutgoingIds()
    {
        lock (_gate)
        {
            return [.. _outbox.Select(o => o.Entry.MessageId)];
        }
    }

    /// <summary>The acknowledgement of the publish with this id if it waits in the outbox (for
    /// example, kept from an earlier run and resent at connect); null if there is none.</summary>
    internal Task<ulong>? Outstanding(Guid messageId)
    {
        lock (_gate)
        {
            return _outbox.Find(o => o.Entry.MessageId == messageId)?.Completion.Task;
        }
    }

    /// <summary>Raised on a background thread when the connection drops, comes back or closes for good.</summary>
    public event EventHandler<ChatClientStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on a background thread when a member of a joined room comes online or goes away.</summary>
    public event EventHandler<PresenceChangedEventArgs>? PresenceChanged;

    public static async Task<ChatClient> ConnectAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var identity = profile.LoadIdentity(password.Span);
        var profileLock = options?.PersistState == false ? null : TakeProfileLock(profile);
        var client = new ChatClient(profile, identity, options ?? new ChatClientOptions()) { _profileLock = profileLock };
        try
        {
            await client.OpenSessionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            identity.Dispose();
            profileLock?.Dispose();
            throw;
        }

        client._supervisor = Task.Run(client.SuperviseAsync);
        client._keepAlive = Task.Run(client.KeepAliveAsync);
        return client;
    }

    // One live session per identity: two would overwrite each other's state and ratchets.
    private static FileStream TakeProfileLock(ChatProfile profile)
    {
        try
        {
            return new FileStream(Path.Combine(profile.Path, "session.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException e)
        {
            throw new OpenChatException(ErrorIds.ProfileInUse, ErrorKind.InvalidOperation,
                $"The identity '{profile.Name}' is already connected in another session. Disconnect that one first.", e);
        }
    }

    /// <summary>Joins (creating if needed) a room and starts receiving it from
    /// <paramref name="fromSequence"/>, else from after the last event read in an earlier run,
    /// else from its beginning.</summary>
    public async Task<JoinedRoom> JoinAsync(string room, ulong? fromSequence = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_rooms.ContainsKey(room))
            {
                var next = fromSequence ?? (_state.LastRead.TryGetValue(room, out var read) ? read + 1 : 1);
                _rooms[room] = new RoomCursor(room, Math.Max(next, 1));
            }
        }

        try
        {
            var joined = await RequestAsync<Joined>(tag => new NameRequest(MessageType.Join, tag, room), cancellationToken).ConfigureAwait(false);
            return OnJoined(joined);
        }
        catch (OpenChatException)
        {
            lock (_gate)
            {
                _rooms.Remove(room);
            }

            throw;
        }
    }

    /// <summary>Opens (or reopens) the direct conversation with another user; returns its room.</summary>
    public async Task<JoinedRoom> OpenDirectAsync(string userName, ulong? fromSequence = null, CancellationToken cancellationToken = default)
    {
        var joined = await RequestAsync<Joined>(tag => new NameRequest(MessageType.OpenDirect, tag, userName), cancellationToken).ConfigureAwait(false);
        // The room's name says whose conversation it is: a server that answers with someone
        // else's would have us encrypt for them.
        var expected = RoomNames.Direct(UserName, userName);
        if (!string.Equals(joined.Room, expected, StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.ServerNotTrusted, ErrorKind.AuthenticationFailed,
                $"Asked for the direct conversation {expected}, the server answered with '{Pki.UserNamePolicy.Printable(joined.Room)}'. Nothing was sent.");
        }

        lock (_gate)
        {
            if (!_rooms.ContainsKey(joined.Room))
            {
                var next = fromSequence ?? (_state.LastRead.TryGetValue(joined.Room, out var read) ? read + 1 : 1);
                _rooms[joined.Room] = new RoomCursor(joined.Room, Math.Max(next, 1));
            }
        }

        return OnJoined(joined);
    }

    /// <summary>Leaves a room for good (membership ends; history is no longer served to us).</summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        await RequestAsync<Left>(tag => new NameRequest(MessageType.Leave, tag, room), cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _rooms.Remove(room);
            _state.LastRead.Remove(room);
        }

        MarkStateDirty();
    }

    public async Task<IReadOnlyList<RoomInfo>> ListRoomsAsync(CancellationToken cancellationToken = default) =>
        (await RequestAsync<RoomList>(tag => new NameRequest(MessageType.ListRooms, tag, ""), cancellationToken).ConfigureAwait(false)).Rooms;

    /// <summary>The CA's revocation list as the server relays it (DER); check it with <see cref="Pki.CrlReader"/>.</summary>
    public async Task<byte[]> FetchRevocationsAsync(CancellationToken cancellationToken = default) =>
        (await RequestAsync<RevocationsReply>(tag => new NameRequest(MessageType.GetRevocations, tag, ""), cancellationToken).ConfigureAwait(false)).Crl;

    /// <summary>This device's certificate with its private key.</summary>
    internal X509Certificate2 Identity => _identity;

    internal X509Certificate2 PinnedCa => _ca;

    public async Task<IReadOnlyList<MemberInfo>> ListMembersAsync(string room, CancellationToken cancellationToken = default) =>
        (await RequestAsync<MemberList>(tag => new NameRequest(MessageType.ListMembers, tag, room), cancellationToken).ConfigureAwait(false)).Members;

    /// <summary>
    /// Stores a message in a room and returns its sequence once the server has it durably. The
    /// message waits in the outbox (kept in the profile) until acknowledged, through reconnects.
    /// </summary>
    public Task<ulong> PublishAsync(string room, byte[] body, EventKind kind = EventKind.Chat, ulong epoch = 0, Guid? messageId = null,
        CancellationToken cancellationToken = default)
    {
        var outgoing = new Outgoing(new OutboxEntry { Room = room, MessageId = messageId ?? Guid.CreateVersion7(), Kind = kind, Epoch = epoch, Body = body });
        lock (_gate)
        {
            // The same id waiting already (resent at connect): one entry, one acknowledgement.
            if (messageId is { } id && _outbox.Find(o => o.Entry.MessageId == id) is { } waiting)
            {
                return waiting.Completion.Task.WaitAsync(cancellationToken);
            }

            _outbox.Add(outgoing);
            _state.Outbox.Add(outgoing.Entry);
        }

        SaveStateNow();
        lock (_gate)
        {
            SendPublish(_session, outgoing);
        }

        return outgoing.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The next event of any joined room, in order per room, each exactly once.</summary>
    public async ValueTask<RoomEvent> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        RoomEvent e;
        try
        {
            e = await _events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw Closed();
        }

        lock (_gate)
        {
            if (!_state.LastRead.TryGetValue(e.Room, out var read) || read < e.Sequence)
            {
                _state.LastRead[e.Room] = e.Sequence;
            }
        }

        MarkStateDirty();
        return e;
    }

    /// <summary>An event if one is waiting, without blocking.</summary>
    public bool TryReceive(out RoomEvent? e)
    {
        if (_events.Reader.TryRead(out var next))
        {
            lock (_gate)
            {
                if (!_state.LastRead.TryGetValue(next.Room, out var read) || read < next.Sequence)
                {
                    _state.LastRead[next.Room] = next.Sequence;
                }
            }

            MarkStateDirty();
            e = next;
            return true;
        }

        e = null;
        return false;
    }

    /// <summary>Drops the current connection as if the network failed (tests and diagnostics);
    /// the client reconnects by itself.</summary>
    public void DropConnection() => _session?.Kill();

    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        _disposing.Cancel();
        _session?.Kill();
        try
        {
            await Task.WhenAll(_supervisor, _keepAlive).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        SaveStateNow();
        SetState(ChatClientState.Closed, ClosedReason ?? "Disconnected");
        lock (_gate)
        {
            foreach (var outgoing in _outbox)
            {
                outgoing.Completion.TrySetException(new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                    "The session was closed before the server acknowledged the message; it stays in the outbox and is sent on the next connection."));
            }
        }

        _events.Writer.TryComplete();
        _identity.Dispose();
        lock (_gate)
        {
            _profileLock?.Dispose();
            _profileLock = null;
        }
    }

    private void MarkStateDirty() => Interlocked.Exchange(ref _stateDirty, 1);

    /// <summary>Runs <paramref name="save"/> only while this client still holds the profile's
    /// lock, so a session whose connection closed for good can never overwrite the state of a
    /// newer session that took the profile over (which would rewind its ratchets).</summary>
    internal bool SaveWhileOwner(Func<bool> save)
    {
        // Its own lock, not _gate: a state file written to disk must not hold up frame dispatch.
        lock (_ownerGate)
        {
            return !_released && save();
        }
    }

    private void SaveStateNow()
    {
        if (!_options.PersistState)
        {
            return;
        }

        try
        {
            lock (_gate)
            {
                if (_released)
                {
                    return; // another session may own the profile now
                }

                _profile.SaveState(_state);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A failed save costs a re-read of history (deduplicated); the outbox is saved again next time.
        }
    }

    private OpenChatException Closed() => ClosedReason == ErrorIds.CertificateRevoked
        ? new OpenChatException(ErrorIds.CertificateRevoked, ErrorKind.AuthenticationFailed, "This identity's certificate was revoked; the server no longer accepts it.")
        : new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, $"The session is closed ({ClosedReason ?? "disconnected"}).");

    private sealed class Outgoing(OutboxEntry entry)
    {
        public OutboxEntry Entry { get; } = entry;

        public TaskCompletionSource<ulong> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
