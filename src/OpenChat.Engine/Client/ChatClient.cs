using OpenChat.Engine.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Protocol;

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
/// <remarks>A facade over its parts: the current <see cref="ServerConnection"/> (with its
/// <see cref="RequestTracker"/>), the <see cref="Outbox"/>, the <see cref="RoomCursors"/>, the
/// <see cref="ReconnectSupervisor"/> and the <see cref="ClientStateStore"/>. One lock, the
/// dispatch lock, orders what the server's frames and the callers change in outbox and cursors;
/// nothing waits on disk or network under it.</remarks>
public sealed partial class ChatClient : IAsyncDisposable
{
    private readonly ChatProfile _profile;
    // Replaced when the certificate is renewed (ChatClient.Renewal.cs).
    private X509Certificate2 _identity;
    private readonly PinnedRoots _roots;
    private readonly ChatClientOptions _options;
    private readonly NodeList _nodes;
    private readonly List<string> _rememberedNodes;
    private readonly Dictionary<string, int> _rememberedLeftOut;
    private readonly ILogger _log;
    private readonly ILogger _connectionLog;
    private readonly Lock _gate = new();
    private readonly RoomCursors _rooms;
    private readonly Outbox _outbox;
    private readonly ClientStateStore _store;
    private readonly ReconnectSupervisor _supervisor;
    private readonly Channel<RoomEvent> _events = Channel.CreateUnbounded<RoomEvent>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly CancellationTokenSource _disposing = new();
    private ServerConnection? _connection;
    private Task _background = Task.CompletedTask;

    private ChatClient(ChatProfile profile, X509Certificate2 identity, ChatClientOptions options, FileStream? profileLock)
    {
        _profile = profile;
        _identity = identity;
        _options = options;
        _roots = PinnedRoots.Load(profile, options.Time, options.LoggerFactory.CreateLogger<PinnedRoots>());
        _log = options.LoggerFactory.CreateLogger<ChatClient>();
        _connectionLog = options.LoggerFactory.CreateLogger<ServerConnection>();
        var state = options.PersistState ? profile.LoadState(_log) : new ClientState();
        // A server named for this session is the only one it uses; otherwise the profile's, then
        // the deployment's other nodes as the last Welcome listed them.
        _nodes = new NodeList(options.Server ?? profile.Server, state.Nodes, only: options.Server is not null, leftOut: state.NodesLeftOut);
        _rememberedNodes = state.Nodes;
        _rememberedLeftOut = state.NodesLeftOut;
        _rooms = new RoomCursors(state.LastRead);
        _outbox = new Outbox(state.Outbox);
        _store = new ClientStateStore(_gate, Snapshot, options.PersistState ? profile.SaveState : null,
            Path.Combine(profile.Path, ChatProfile.StateFile), profileLock, options.LoggerFactory.CreateLogger<ClientStateStore>());
        _supervisor = new ReconnectSupervisor(new Target(this), options, _nodes.Current, options.LoggerFactory.CreateLogger<ReconnectSupervisor>());
    }

    internal TimeProvider Time => _options.Time;

    internal ChatClientOptions Options => _options;

    internal int MaxUnreadPerRoom => _options.MaxUnreadPerRoom;

    internal long MaxUnreadCharsPerRoom => _options.MaxUnreadCharsPerRoom;

    public string UserName => _profile.UserName;

    /// <summary>The node the client is on (or last was on).</summary>
    public string Server => _nodes.Current;

    /// <summary>The deployment's nodes as the last Welcome listed them: where the client goes
    /// when its node goes away.</summary>
    public IReadOnlyList<string> KnownNodes => _nodes.Known;

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
                return [.. _rooms.Joined];
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
            return _outbox.Ids();
        }
    }

    /// <summary>The acknowledgement of the publish with this id if it waits in the outbox (for
    /// example, kept from an earlier run and resent at connect); null if there is none.</summary>
    internal Task<ulong>? Outstanding(Guid messageId)
    {
        lock (_gate)
        {
            return _outbox.Find(messageId)?.Completion.Task;
        }
    }

    /// <summary>This device's certificate with its private key.</summary>
    internal X509Certificate2 Identity => _identity;

    /// <summary>The newest live pinned root (see <see cref="PinnedRoots"/> for all of them).</summary>
    internal X509Certificate2 PinnedCa => _roots.Live().FirstOrDefault() ?? _roots.All[0];

    /// <summary>The CA roots this profile trusts: one from enrollment, two during a CA rollover's overlap.</summary>
    public PinnedRoots PinnedRoots => _roots;

    /// <summary>Raised on a background thread when the connection drops, comes back or closes for good.</summary>
    public event EventHandler<ChatClientStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on a background thread when a member of a joined room comes online or goes away.</summary>
    public event EventHandler<PresenceChangedEventArgs>? PresenceChanged;

    /// <summary>Raised on a background thread after this device's certificate was renewed over the
    /// live connection (see <see cref="CertificateRenewedEventArgs"/>); handlers must not throw.</summary>
    public event EventHandler<CertificateRenewedEventArgs>? CertificateRenewed;

    private void OnCertificateRenewed(X509Certificate2 previous, X509Certificate2 renewed) =>
        CertificateRenewed?.Invoke(this, new CertificateRenewedEventArgs(previous, renewed));

    public static async Task<ChatClient> ConnectAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        var identity = profile.LoadIdentity(password.Span);
        var profileLock = options.PersistState ? TakeProfileLock(profile) : null;
        var client = new ChatClient(profile, identity, options, profileLock);
        try
        {
            await client.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A renewal before the connection may have replaced the identity it was given.
            client._identity.Dispose();
            client.DisposeRetiredIdentities();
            profileLock?.Dispose();
            throw;
        }

        client.StartBackground();
        return client;
    }

    // One live session per identity: two would overwrite each other's state and ratchets.
    internal static FileStream TakeProfileLock(ChatProfile profile)
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
            _rooms.Open(joined.Room, fromSequence);
        }

        return OnJoined(joined);
    }

    /// <summary>Leaves a room for good (membership ends; history is no longer served to us).</summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        await RequestAsync<Left>(tag => new NameRequest(MessageType.Leave, tag, room), cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _rooms.Forget(room);
        }

        _store.MarkDirty();
    }

    public async Task<IReadOnlyList<RoomInfo>> ListRoomsAsync(CancellationToken cancellationToken = default) =>
        (await RequestAsync<RoomList>(tag => new NameRequest(MessageType.ListRooms, tag, ""), cancellationToken).ConfigureAwait(false)).Rooms;

    /// <summary>The CA's revocation list as the server relays it (DER); check it with <see cref="Pki.CrlReader"/>.</summary>
    public async Task<byte[]> FetchRevocationsAsync(CancellationToken cancellationToken = default) =>
        (await RequestAsync<RevocationsReply>(tag => new NameRequest(MessageType.GetRevocations, tag, ""), cancellationToken).ConfigureAwait(false)).Crl;

    /// <summary>The revocation list of each root of the CA still valid (two during a rollover's
    /// overlap, each signed by its root); verify one under a pinned root with <see cref="Pki.CrlReader"/>.</summary>
    public async Task<IReadOnlyList<byte[]>> FetchRevocationListsAsync(CancellationToken cancellationToken = default) =>
        (await RequestAsync<RevocationListsReply>(tag => new NameRequest(MessageType.GetRevocationLists, tag, ""), cancellationToken).ConfigureAwait(false)).Crls;

    public async Task<IReadOnlyList<MemberInfo>> ListMembersAsync(string room, CancellationToken cancellationToken = default) =>
        (await RequestAsync<MemberList>(tag => new NameRequest(MessageType.ListMembers, tag, RoomNames.Normalize(room)), cancellationToken).ConfigureAwait(false)).Members;

    /// <summary>
    /// Stores a message in a room and returns its sequence once the server has it durably. The
    /// message waits in the outbox (kept in the profile) until acknowledged, through reconnects.
    /// </summary>
    public Task<ulong> PublishAsync(string room, byte[] body, EventKind kind = EventKind.Chat, ulong epoch = 0, Guid? messageId = null,
        CancellationToken cancellationToken = default)
    {
        var entry = new OutboxEntry { Room = room, MessageId = messageId ?? Guid.CreateVersion7(), Kind = kind, Epoch = epoch, Body = body };
        PendingPublish publish;
        lock (_gate)
        {
            var count = _outbox.Count;
            publish = _outbox.Add(entry, sameIdIsSameMessage: messageId is not null);
            if (_outbox.Count == count)
            {
                return publish.Completion.Task.WaitAsync(cancellationToken);
            }
        }

        // On disk before it goes: a crash after this resends it, with the same id.
        _store.SaveNow();
        lock (_gate)
        {
            SendPublish(_connection, publish);
        }

        return publish.Completion.Task.WaitAsync(cancellationToken);
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

        Delivered(e);
        return e;
    }

    /// <summary>An event if one is waiting, without blocking.</summary>
    public bool TryReceive(out RoomEvent? e)
    {
        if (_events.Reader.TryRead(out var next))
        {
            Delivered(next);
            e = next;
            return true;
        }

        e = null;
        return false;
    }

    /// <summary>Drops the current connection as if the network failed (tests and diagnostics);
    /// the client reconnects by itself.</summary>
    public void DropConnection() => _connection?.Kill();

    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        _disposing.Cancel();
        _connection?.Kill();
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A background loop that failed must not stop the close: the state is still saved,
            // the outbox kept and the profile's lock let go below.
            _log.Failed(e, "client.background");
        }

        _store.SaveNow();
        SetState(ChatClientState.Closed, ClosedReason ?? "Disconnected");
        lock (_gate)
        {
            _outbox.Abandon(new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                "The session was closed before the server acknowledged the message; it stays in the outbox and is sent on the next connection."));
        }

        _events.Writer.TryComplete();
        _identity.Dispose();
        DisposeRetiredIdentities();
        _store.DropLock();
    }

    /// <summary>Runs <paramref name="save"/> only while this client still holds the profile's
    /// lock, so a session whose connection closed for good can never overwrite the state of a
    /// newer session that took the profile over (which would rewind its ratchets).</summary>
    internal bool SaveWhileOwner(Func<bool> save) => _store.WhileOwner(save);

    private void Delivered(RoomEvent e)
    {
        bool moved;
        lock (_gate)
        {
            moved = _rooms.Delivered(e.Room, e.Sequence);
        }

        if (moved)
        {
            _store.MarkDirty();
        }
    }

    // Called under _gate by the store: a copy, written outside the lock.
    private ClientState Snapshot() => new()
    {
        LastRead = _rooms.ToSave(),
        Outbox = _outbox.Snapshot(),
        Nodes = _options.Server is null ? [.. _nodes.Known] : _rememberedNodes,
        NodesLeftOut = _options.Server is null ? _nodes.LeftOut : _rememberedLeftOut,
    };

    private OpenChatException Closed() => ClosedReason == ErrorIds.CertificateRevoked
        ? new OpenChatException(ErrorIds.CertificateRevoked, ErrorKind.AuthenticationFailed, "This identity's certificate was revoked; the server no longer accepts it.")
        : new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, $"The session is closed ({ClosedReason ?? "disconnected"}).");
}
