using System.Collections.Concurrent;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// Rooms, membership, presence and fan-out: what the server does with a decoded request,
/// independent of sockets and TLS. Bodies are never opened; only the header fields needed to
/// route and order them are read.
/// </summary>
internal sealed partial class RoomHub : IAsyncDisposable
{
    private readonly IMessageStore _store;
    private readonly ChatServerOptions _options;
    private readonly Func<string, bool> _userExists;
    private readonly Func<byte[]> _revocations;
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly Lock _presenceGate = new();
    private readonly Dictionary<string, int> _online = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _awaySince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ClientConnection>> _connectionsByUser = new(StringComparer.Ordinal);
    private readonly MessageLog _log;
    private readonly CommitBudget _commits;
    private readonly Func<string, bool> _isRevoked;
    private long _stored;
    private readonly RateMeter _rate = new();

    public RoomHub(IMessageStore store, ChatServerOptions options, Func<string, bool> userExists, Func<byte[]> revocations, Func<string, bool> isRevoked)
    {
        _isRevoked = isRevoked;
        _store = store;
        _options = options;
        _userExists = userExists;
        _revocations = revocations;
        foreach (var stored in store.LoadRooms())
        {
            _rooms[stored.Name] = new Room(stored.Name, stored.Kind, stored.LastSequence, stored.Epoch);
        }

        foreach (var membership in store.LoadMembers())
        {
            if (_rooms.TryGetValue(membership.Room, out var room))
            {
                room.AddMember(membership.UserName);
            }
        }

        _stored = store.CountMessages();
        _log = new MessageLog(store, OnCommitted);
        _commits = new CommitBudget(options.CommitsPerMinute, options.CommitBurst);
    }

    public int RoomCount => _rooms.Count;

    public long MessagesStored => Interlocked.Read(ref _stored);

    public double MessagesPerSecond => _rate.PerSecond;

    public void Connected(ClientConnection connection)
    {
        if (connection.Identity is null)
        {
            return;
        }

        var user = UserNamePolicy.Normalize(connection.UserName);
        bool first;
        lock (_presenceGate)
        {
            _online[user] = _online.GetValueOrDefault(user) + 1;
            first = _online[user] == 1;
            _awaySince.Remove(user);
            if (!_connectionsByUser.TryGetValue(user, out var list))
            {
                _connectionsByUser[user] = list = [];
            }

            list.Add(connection);
        }

        if (first)
        {
            AnnouncePresence(connection.UserName, online: true);
        }
    }

    public void Disconnected(ClientConnection connection)
    {
        foreach (var name in connection.Subscriptions.Keys)
        {
            if (_rooms.TryGetValue(name, out var room))
            {
                room.Unsubscribe(connection);
            }
        }

        if (connection.Identity is null)
        {
            return;
        }

        var user = UserNamePolicy.Normalize(connection.UserName);
        bool last;
        lock (_presenceGate)
        {
            var left = _online.GetValueOrDefault(user) - 1;
            last = left <= 0;
            if (last)
            {
                _online.Remove(user);
                _awaySince[user] = DateTimeOffset.UtcNow;
            }
            else
            {
                _online[user] = left;
            }

            if (_connectionsByUser.TryGetValue(user, out var list))
            {
                list.Remove(connection);
                if (list.Count == 0)
                {
                    _connectionsByUser.Remove(user);
                }
            }
        }

        if (last)
        {
            AnnouncePresence(connection.UserName, online: false);
        }
    }

    /// <summary>Live connections of the users whose certificates are in <paramref name="serials"/>.</summary>
    public List<ClientConnection> ConnectionsWithSerials(IReadOnlySet<string> serials)
    {
        lock (_presenceGate)
        {
            return _connectionsByUser.Values.SelectMany(l => l).Where(c => c.Identity is not null && serials.Contains(c.Identity.Serial)).ToList();
        }
    }

    public async ValueTask HandleAsync(ClientConnection connection, Frame frame)
    {
        var payload = frame.Payload.Span;
        switch (frame.Type)
        {
            case MessageType.Ping:
                connection.Send(new Pong(Ping.Read(payload).Nonce));
                return;
            case MessageType.Publish:
                await PublishAsync(connection, Publish.Read(payload)).ConfigureAwait(false);
                return;
            case MessageType.Join:
            case MessageType.Leave:
            case MessageType.OpenDirect:
            case MessageType.ListMembers:
            case MessageType.ListRooms:
                Request(connection, NameRequest.Read(frame.Type, payload));
                return;
            case MessageType.History:
                History(connection, HistoryRequest.Read(payload));
                return;
            case MessageType.GetRevocations:
                var request = NameRequest.Read(frame.Type, payload);
                if (!connection.Requests.TryTake())
                {
                    connection.Send(new ErrorReply(request.Tag, ErrorIds.RateLimited, "Too many requests; slow down."));
                    return;
                }

                connection.Send(new RevocationsReply(request.Tag, _revocations()));
                return;
            default:
                throw new ProtocolException($"A {frame.Type} frame is not expected from a client at this point.");
        }
    }

    private void Request(ClientConnection connection, NameRequest request)
    {
        if (!connection.Requests.TryTake())
        {
            connection.Send(new ErrorReply(request.Tag, ErrorIds.RateLimited, "Too many requests; slow down."));
            return;
        }

        try
        {
            switch (request.Type)
            {
                case MessageType.Join:
                    Join(connection, request.Tag, request.Name);
                    break;
                case MessageType.Leave:
                    Leave(connection, request.Tag, request.Name);
                    break;
                case MessageType.OpenDirect:
                    OpenDirect(connection, request.Tag, request.Name);
                    break;
                case MessageType.ListMembers:
                    ListMembers(connection, request.Tag, request.Name);
                    break;
                case MessageType.ListRooms:
                    ListRooms(connection, request.Tag);
                    break;
            }
        }
        catch (OpenChatException e)
        {
            connection.Send(new ErrorReply(request.Tag, e.ErrorId, e.Message));
        }
        catch (ProtocolException e)
        {
            // A reply that cannot be framed is this request's failure, not the connection's.
            connection.Send(new ErrorReply(request.Tag, ErrorIds.ProtocolViolation, e.Message));
        }
    }

    private void Join(ClientConnection connection, uint tag, string name)
    {
        Room room;
        if (RoomNames.IsDirect(name))
        {
            room = MemberRoom(connection, name);
        }
        else
        {
            RoomNames.Validate(name);
            room = GetOrCreate(connection, name, RoomKind.Room);
            if (room.AddMember(connection.UserName))
            {
                _store.AddMember(room.Name, connection.UserName);
            }
        }

        Subscribe(connection, room);
        connection.Send(new Joined(tag, room.Name, room.Kind, room.LastSequence, room.Epoch));
    }

    private void Leave(ClientConnection connection, uint tag, string name)
    {
        var room = MemberRoom(connection, name);
        room.RemoveMember(connection.UserName);
        _store.RemoveMember(room.Name, connection.UserName);
        foreach (var device in ConnectionsOf(connection.UserName))
        {
            // Membership is per user: every device of the user stops receiving the room.
            room.Unsubscribe(device);
            device.Subscriptions.TryRemove(room.Name, out _);
        }

        connection.Send(new Left(tag, room.Name));
    }

    private void OpenDirect(ClientConnection connection, uint tag, string other)
    {
        UserNamePolicy.Validate(other);
        if (string.Equals(UserNamePolicy.Normalize(other), UserNamePolicy.Normalize(connection.UserName), StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.UserNameInvalid, ErrorKind.InvalidArgument, "A direct conversation needs another user than yourself.");
        }

        if (!_userExists(other))
        {
            throw new OpenChatException(ErrorIds.UserNotFound, ErrorKind.NotFound, $"There is no user '{other}' on this server.");
        }

        var room = GetOrCreate(connection, RoomNames.Direct(connection.UserName, other), RoomKind.Direct);
        var added = false;
        foreach (var user in new[] { connection.UserName, other })
        {
            if (room.AddMember(user))
            {
                _store.AddMember(room.Name, user);
                added = true;
            }
        }

        Subscribe(connection, room);
        connection.Send(new Joined(tag, room.Name, room.Kind, room.LastSequence, room.Epoch));
        if (added)
        {
            // The other person learns of the conversation at once on every device that is online.
            foreach (var peer in ConnectionsOf(other))
            {
                Subscribe(peer, room);
                peer.Send(new Joined(0, room.Name, room.Kind, room.LastSequence, room.Epoch));
            }
        }
    }

    private void ListMembers(ClientConnection connection, uint tag, string name)
    {
        var room = MemberRoom(connection, name);
        List<MemberInfo> members;
        lock (_presenceGate)
        {
            members = room.Members()
                .Select(m => new MemberInfo(m, _online.ContainsKey(UserNamePolicy.Normalize(m)),
                    _awaySince.TryGetValue(UserNamePolicy.Normalize(m), out var away) ? away : null))
                .OrderBy(m => m.UserName, StringComparer.OrdinalIgnoreCase)
                .ToList();
        }

        connection.Send(new MemberList(tag, room.Name, members));
    }

    private void ListRooms(ClientConnection connection, uint tag)
    {
        var user = UserNamePolicy.Normalize(connection.UserName);
        // Anyone may create rooms, so the list is bounded: the user's own rooms first, then others
        // by name, as many as fit in one frame.
        var rooms = new List<RoomInfo>();
        var budget = FrameLimits.MaxFrameSize - RoomList.HeaderSize;
        foreach (var r in _rooms.Values
            .Where(r => r.Kind == RoomKind.Room || r.IsMember(user))
            .Select(r => (Room: r, Member: r.IsMember(user)))
            .OrderByDescending(x => x.Member).ThenBy(x => x.Room.Name, StringComparer.Ordinal))
        {
            var info = new RoomInfo(r.Room.Name, r.Room.Kind, r.Room.LastSequence, (uint)r.Room.MemberCount, r.Member);
            budget -= RoomList.EntrySize(info);
            if (budget < 0)
            {
                break;
            }

            rooms.Add(info);
        }

        rooms.Sort((a, b) => StringComparer.Ordinal.Compare(a.Name, b.Name));
        connection.Send(new RoomList(tag, rooms));
    }

    private void History(ClientConnection connection, HistoryRequest request)
    {
        if (!connection.Requests.TryTake())
        {
            connection.Send(new ErrorReply(request.Tag, ErrorIds.RateLimited, "Too many requests; slow down."));
            return;
        }

        try
        {
            var room = MemberRoom(connection, request.Room);
            // Never more than half the send queue at once, so catching up cannot itself make a
            // client look like a slow reader; the client asks again after HistoryEnd.
            var cap = Math.Max(1, Math.Min(_options.MaxHistoryBatch, _options.SendQueueFrames / 2));
            var max = (int)Math.Clamp(request.Max, 1u, (uint)cap);
            // A batch also stops at a few megabytes (the store stops reading there); the client
            // asks again from where it ended. Sent packed, as live events are.
            var events = _store.Read(room.Name, Math.Max(request.FromSequence, 1), max, ClientConnection.MaxQueuedBytes / 8);
            var frames = new FrameBatch();
            foreach (var e in events)
            {
                frames.Add(e.ToFrame());
            }

            foreach (var chunk in frames.Chunks())
            {
                if (!connection.Send(chunk))
                {
                    return;
                }
            }

            var lastSent = events.Count > 0 ? events[^1].Sequence : request.FromSequence == 0 ? 0 : request.FromSequence - 1;
            connection.Send(new HistoryEnd(request.Tag, room.Name, lastSent, room.LastSequence));
        }
        catch (OpenChatException e)
        {
            connection.Send(new ErrorReply(request.Tag, e.ErrorId, e.Message));
        }
        catch (ProtocolException e)
        {
            // Something stored cannot be framed: the requester gets an answer, not a disconnect.
            connection.Send(new ErrorReply(request.Tag, ErrorIds.ProtocolViolation, e.Message));
        }
    }

    public ValueTask DisposeAsync() => _log.DisposeAsync();

    private Room GetOrCreate(ClientConnection connection, string name, RoomKind kind)
    {
        if (_rooms.TryGetValue(name, out var existing))
        {
            return existing;
        }

        if (_rooms.Count >= _options.MaxRooms)
        {
            throw new OpenChatException(ErrorIds.RoomLimitReached, ErrorKind.Unavailable,
                $"This server holds its maximum of {_options.MaxRooms:N0} rooms; no new room can be created. Ask the admin.");
        }

        if (!connection.RoomCreations.TryTake())
        {
            throw new OpenChatException(ErrorIds.RateLimited, ErrorKind.Unavailable, "Too many new rooms from this connection; try again in a minute.");
        }

        var stored = _store.EnsureRoom(name, kind, DateTimeOffset.UtcNow);
        return _rooms.GetOrAdd(name, _ => new Room(stored.Name, stored.Kind, stored.LastSequence, stored.Epoch));
    }

    /// <summary>The room, if it exists and the connection's user is a member; otherwise the
    /// same refusal for both, so non-members cannot probe which rooms exist.</summary>
    private Room MemberRoom(ClientConnection connection, string name)
    {
        if (_rooms.TryGetValue(name, out var room) && room.IsMember(UserNamePolicy.Normalize(connection.UserName)))
        {
            return room;
        }

        throw new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
            $"You are not a member of '{UserNamePolicy.Printable(name)}'. Join it first (direct conversations are opened with the other user's name).");
    }

    private void Subscribe(ClientConnection connection, Room room)
    {
        room.Subscribe(connection);
        connection.Subscriptions.TryAdd(room.Name, 0);
        if (connection.IsClosed)
        {
            room.Unsubscribe(connection);
        }
    }

    private List<ClientConnection> ConnectionsOf(string user)
    {
        lock (_presenceGate)
        {
            return _connectionsByUser.TryGetValue(UserNamePolicy.Normalize(user), out var list) ? [.. list] : [];
        }
    }

    private void AnnouncePresence(string user, bool online)
    {
        var normalized = UserNamePolicy.Normalize(user);
        var now = DateTimeOffset.UtcNow;
        foreach (var room in _rooms.Values)
        {
            if (!room.Subscribers.IsEmpty && room.IsMember(normalized))
            {
                var frame = new Presence(room.Name, user, online, now).ToFrame();
                foreach (var subscriber in room.Subscribers)
                {
                    subscriber.Send(frame);
                }
            }
        }
    }
}
