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
public sealed class ChatClient : IAsyncDisposable
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
        var expected = OpenChat.Engine.Server.RoomNames.Direct(UserName, userName);
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

    private JoinedRoom OnJoined(Joined joined)
    {
        lock (_gate)
        {
            if (_rooms.TryGetValue(joined.Room, out var cursor))
            {
                cursor.Kind = joined.Kind;
                cursor.Known = Math.Max(cursor.Known, joined.LastSequence);
                if (cursor.HasGap)
                {
                    RequestHistory(cursor);
                }
            }
        }

        return new JoinedRoom(joined.Room, joined.Kind, joined.LastSequence, joined.Epoch);
    }

    private async Task OpenSessionAsync(CancellationToken cancellationToken)
    {
        var opened = await ClientTransport.OpenAsync(_server, _profile.CaFingerprint, _ca, _identity, _options.ConnectTimeout, cancellationToken,
            revokedSerials: _profile.LoadRevokedSerials()).ConfigureAwait(false);
        var session = new Session(opened.Stream, opened.Reader);
        List<RoomCursor> rooms;
        lock (_gate)
        {
            // The outbox goes first and in its order; only then can new messages use the session,
            // so a sender's messages keep their order across a reconnect.
            foreach (var outgoing in _outbox)
            {
                SendPublish(session, outgoing);
            }

            _session = session;
            rooms = [.. _rooms.Values];
        }

        session.ReadLoop = Task.Run(() => ReadLoopAsync(session));
        foreach (var cursor in rooms)
        {
            _ = RejoinAsync(cursor);
        }
    }

    private async Task RejoinAsync(RoomCursor cursor)
    {
        try
        {
            var joined = await RequestAsync<Joined>(tag => new NameRequest(MessageType.Join, tag, cursor.Room), _disposing.Token).ConfigureAwait(false);
            OnJoined(joined);
        }
        catch (Exception)
        {
            // The next reconnect tries again; a room we were removed from stays silent.
        }
    }

    private async Task ReadLoopAsync(Session session)
    {
        try
        {
            while (true)
            {
                var frame = await session.Reader.ReadAsync(session.Closing).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                Dispatch(session, frame.Value);
            }
        }
        catch (Exception)
        {
            // Any failure ends this session; the supervisor decides whether to reconnect.
        }
        finally
        {
            session.Kill();
            session.FailPending(ClosedReason is not null ? Closed() : new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                "The connection to the server was lost before it answered."));
            session.Ended.TrySetResult();
        }
    }

    private void Dispatch(Session session, Frame frame)
    {
        var payload = frame.Payload.Span;
        switch (frame.Type)
        {
            case MessageType.Event:
                OnEvent(RoomEvent.Read(payload));
                break;
            case MessageType.Ack:
                OnAck(Ack.Read(payload));
                break;
            case MessageType.Error:
                OnError(session, ErrorReply.Read(payload));
                break;
            case MessageType.Joined:
                var joined = Joined.Read(payload);
                if (joined.Tag == 0)
                {
                    // Someone opened a direct conversation with us.
                    lock (_gate)
                    {
                        if (!_rooms.ContainsKey(joined.Room))
                        {
                            _rooms[joined.Room] = new RoomCursor(joined.Room, _state.LastRead.TryGetValue(joined.Room, out var read) ? read + 1 : 1);
                        }
                    }

                    OnJoined(joined);
                }
                else
                {
                    session.Complete(joined.Tag, joined);
                }

                break;
            case MessageType.Left:
                var left = Left.Read(payload);
                session.Complete(left.Tag, left);
                break;
            case MessageType.RoomList:
                var list = RoomList.Read(payload);
                session.Complete(list.Tag, list);
                break;
            case MessageType.MemberList:
                var members = MemberList.Read(payload);
                session.Complete(members.Tag, members);
                break;
            case MessageType.HistoryEnd:
                OnHistoryEnd(HistoryEnd.Read(payload));
                break;
            case MessageType.Revocations:
                var revocations = RevocationsReply.Read(payload);
                session.Complete(revocations.Tag, revocations);
                break;
            case MessageType.Presence:
                var presence = Presence.Read(payload);
                try
                {
                    PresenceChanged?.Invoke(this, new PresenceChangedEventArgs(presence.Room, presence.UserName, presence.Online, presence.Time));
                }
                catch (Exception)
                {
                    // A subscriber's failure must not stop delivery.
                }

                break;
            case MessageType.Bye:
                var bye = Bye.Read(payload);
                if (bye.Code is ErrorIds.CertificateRevoked or ErrorIds.VersionUnsupported)
                {
                    ClosedReason = bye.Code;
                }

                break;
            case MessageType.Pong:
                break;
            default:
                throw new ProtocolException("UnexpectedType", $"A {frame.Type} frame is not expected from the server.");
        }
    }

    private void OnEvent(RoomEvent e)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(e.Room, out var cursor))
            {
                return;
            }

            foreach (var ready in cursor.Accept(e))
            {
                _events.Writer.TryWrite(ready);
            }

            if (cursor.HasGap)
            {
                RequestHistory(cursor);
            }
        }
    }

    private void OnHistoryEnd(HistoryEnd end)
    {
        lock (_gate)
        {
            if (_rooms.TryGetValue(end.Room, out var cursor))
            {
                if (cursor.HistoryEnded(end.RoomLastSequence))
                {
                    RequestHistory(cursor);
                }
            }
        }
    }

    // Called under _gate.
    private void RequestHistory(RoomCursor cursor)
    {
        var session = _session;
        if (cursor.HistoryInFlight || session is null || session.IsDead)
        {
            return;
        }

        cursor.HistoryRequested();
        var tag = Interlocked.Increment(ref _nextTag);
        session.Send(new HistoryRequest(tag, cursor.Room, cursor.Next, _options.HistoryBatch).ToFrame());
    }

    private void OnAck(Ack ack)
    {
        Outgoing? done = null;
        lock (_gate)
        {
            var index = _outbox.FindIndex(o => o.Entry.MessageId == ack.MessageId);
            if (index >= 0)
            {
                done = _outbox[index];
                _outbox.RemoveAt(index);
                _state.Outbox.Remove(done.Entry);
            }
        }

        if (done is not null)
        {
            MarkStateDirty();
            done.Completion.TrySetResult(ack.Sequence);
        }
    }

    private void OnError(Session session, ErrorReply error)
    {
        if (session.TakePublish(error.Tag, out var messageId))
        {
            Outgoing? outgoing;
            lock (_gate)
            {
                outgoing = _outbox.Find(o => o.Entry.MessageId == messageId);
            }

            if (outgoing is null)
            {
                return;
            }

            if (error.Code is ErrorIds.RateLimited or ErrorIds.StoreUnavailable)
            {
                // Transient: the message keeps its id and goes again shortly.
                _ = Task.Delay(TimeSpan.FromMilliseconds(500), _disposing.Token).ContinueWith(_ =>
                {
                    lock (_gate)
                    {
                        SendPublish(_session, outgoing);
                    }
                }, TaskScheduler.Default);
                return;
            }

            lock (_gate)
            {
                _outbox.Remove(outgoing);
                _state.Outbox.Remove(outgoing.Entry);
            }

            MarkStateDirty();
            outgoing.Completion.TrySetException(new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message));
            return;
        }

        session.Fail(error.Tag, new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message));
    }

    // Called under _gate, so publishes reach a session in outbox order.
    private void SendPublish(Session? session, Outgoing outgoing)
    {
        if (session is null || session.IsDead || !_outbox.Contains(outgoing))
        {
            return; // resent after the reconnect
        }

        var tag = Interlocked.Increment(ref _nextTag);
        session.TrackPublish(tag, outgoing.Entry.MessageId);
        var e = outgoing.Entry;
        session.Send(new Publish(tag, e.Room, e.MessageId, e.Kind, e.Epoch, e.Body).ToFrame());
    }

    // A reply of another type under our tag is the server breaking the protocol: an error for
    // this request, never an exception of the wrong kind somewhere in a caller's loop.
    private async Task<T> RequestAsync<T>(Func<uint, IMessage> build, CancellationToken cancellationToken)
        where T : IMessage
    {
        var reply = await RequestAsync(build, cancellationToken).ConfigureAwait(false);
        return reply is T expected
            ? expected
            : throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidData,
                $"The server answered a request with {reply.GetType().Name} where {typeof(T).Name} was due.");
    }

    private async Task<IMessage> RequestAsync(Func<uint, IMessage> build, CancellationToken cancellationToken)
    {
        var session = _session;
        if (ClosedReason is not null)
        {
            throw Closed();
        }

        if (session is null || session.IsDead)
        {
            throw new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "Not connected to the server right now; it is reconnecting. Try again shortly.");
        }

        var tag = Interlocked.Increment(ref _nextTag);
        var completion = session.Expect(tag);
        session.Send(build(tag).ToFrame());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            return await completion.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpenChatException(ErrorIds.Timeout, ErrorKind.Unavailable, "The server did not answer in time.");
        }
    }

    private async Task SuperviseAsync()
    {
        try
        {
            while (!_disposing.IsCancellationRequested)
            {
                var session = _session!;
                await session.Ended.Task.WaitAsync(_disposing.Token).ConfigureAwait(false);
                if (ClosedReason is not null || !_options.Reconnect)
                {
                    ClosedReason ??= "ConnectionLost";
                    CloseForGood(ClosedReason);
                    return;
                }

                SetState(ChatClientState.Reconnecting, "ConnectionLost");
                var delay = TimeSpan.FromMilliseconds(50);
                while (!_disposing.IsCancellationRequested)
                {
                    try
                    {
                        await OpenSessionAsync(_disposing.Token).ConfigureAwait(false);
                        SetState(ChatClientState.Connected, "Reconnected");
                        break;
                    }
                    catch (OpenChatException e) when (e.ErrorId is ErrorIds.ConnectionRefused or ErrorIds.ServerNotTrusted or ErrorIds.CertificateRevoked
                        or ErrorIds.ServerCertificateRevoked)
                    {
                        // The server no longer accepts this identity: retrying cannot help.
                        ClosedReason = e.ErrorId;
                        CloseForGood(e.ErrorId);
                        return;
                    }
                    catch (Exception) when (!_disposing.IsCancellationRequested)
                    {
                        await Task.Delay(delay, _disposing.Token).ConfigureAwait(false);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
            // Never let a background failure reach the host process.
        }
    }

    // The session is over: save, then let another session use the identity.
    private void CloseForGood(string reason)
    {
        SaveStateNow();
        lock (_ownerGate)
        {
            lock (_gate)
            {
                _profileLock?.Dispose();
                _profileLock = null;
                _released = true;
            }
        }

        SetState(ChatClientState.Closed, reason);
        _events.Writer.TryComplete();
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(_options.KeepAliveInterval.TotalMilliseconds, 500)));
        var lastPing = Environment.TickCount64;
        try
        {
            while (await timer.WaitForNextTickAsync(_disposing.Token).ConfigureAwait(false))
            {
                if (Environment.TickCount64 - lastPing >= _options.KeepAliveInterval.TotalMilliseconds)
                {
                    lastPing = Environment.TickCount64;
                    _session?.Send(new Ping((ulong)lastPing).ToFrame());
                }

                if (Interlocked.Exchange(ref _stateDirty, 0) != 0)
                {
                    SaveStateNow();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
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

    private void SetState(ChatClientState state, string reason)
    {
        if (State == state)
        {
            return;
        }

        State = state;
        try
        {
            StateChanged?.Invoke(this, new ChatClientStateChangedEventArgs(state, reason));
        }
        catch (Exception)
        {
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

    /// <summary>One TLS connection. Frames are queued and written by one writer task so callers
    /// never block on the network and writes never interleave.</summary>
    private sealed class Session
    {
        private readonly SslStream _stream;
        private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        private readonly ConcurrentDictionary<uint, TaskCompletionSource<IMessage>> _pending = new();
        private readonly ConcurrentDictionary<uint, Guid> _publishes = new();
        private readonly CancellationTokenSource _closing = new();
        private int _dead;

        public Session(SslStream stream, FrameReader reader)
        {
            _stream = stream;
            Reader = reader;
            _ = Task.Run(WriteLoopAsync);
        }

        public FrameReader Reader { get; }

        public Task ReadLoop { get; set; } = Task.CompletedTask;

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationToken Closing => _closing.Token;

        public bool IsDead => Volatile.Read(ref _dead) != 0;

        public void Send(byte[] frame) => _outgoing.Writer.TryWrite(frame);

        public Task<IMessage> Expect(uint tag)
        {
            var completion = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[tag] = completion;
            if (IsDead)
            {
                completion.TrySetException(new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "The connection to the server was lost."));
            }

            return completion.Task;
        }

        public void Complete(uint tag, IMessage message)
        {
            if (_pending.TryRemove(tag, out var completion))
            {
                completion.TrySetResult(message);
            }
        }

        public void Fail(uint tag, Exception exception)
        {
            if (_pending.TryRemove(tag, out var completion))
            {
                completion.TrySetException(exception);
            }
        }

        public void TrackPublish(uint tag, Guid messageId) => _publishes[tag] = messageId;

        public bool TakePublish(uint tag, out Guid messageId) => _publishes.TryRemove(tag, out messageId);

        public void FailPending(Exception exception)
        {
            foreach (var tag in _pending.Keys)
            {
                Fail(tag, exception);
            }
        }

        public void Kill()
        {
            if (Interlocked.Exchange(ref _dead, 1) != 0)
            {
                return;
            }

            _outgoing.Writer.TryComplete();
            _closing.Cancel();
            _stream.Dispose();
        }

        private async Task WriteLoopAsync()
        {
            try
            {
                while (await _outgoing.Reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
                {
                    while (_outgoing.Reader.TryRead(out var frame))
                    {
                        await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
                    }

                    await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                Kill();
            }
        }
    }
}

public sealed class PresenceChangedEventArgs(string room, string userName, bool online, DateTimeOffset time) : EventArgs
{
    public string Room { get; } = room;

    public string UserName { get; } = userName;

    public bool Online { get; } = online;

    public DateTimeOffset Time { get; } = time;
}

public sealed class ChatClientStateChangedEventArgs(ChatClientState state, string reason) : EventArgs
{
    public ChatClientState State { get; } = state;

    public string Reason { get; } = reason;
}
