using OpenChat.Engine.Diagnostics;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// The rooms and their members. The store is the truth; this is a cache of it, filled at start
/// and on a miss, written through on every change of membership, and dropped for a room by
/// <see cref="Invalidate"/> when someone else (another node, through the bus) changed it.
/// </summary>
internal sealed class RoomDirectory
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _rateLimitLines = new("RateLimited (room creation)");

    private readonly IMessageStore _store;
    private readonly IRoomEventBus _bus;
    private readonly ChatServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    // Per user, not per connection: a handful of raw connections must not multiply the budget.
    private readonly UserBuckets _creations;
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _stale = new(StringComparer.Ordinal);
    // Reading a room from the store and writing a member through to it are serialized: a reload
    // that read the members just before a join wrote one must not then wipe that join from the cache.
    private readonly Lock _writeThrough = new();

    public RoomDirectory(IMessageStore store, IRoomEventBus bus, ChatServerOptions options, TimeProvider time, ILogger log)
    {
        _store = store;
        _bus = bus;
        _options = options;
        _time = time;
        _log = log;
        _creations = new UserBuckets(options.RoomCreationsPerMinute / 60, options.RoomCreationBurst, time);
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
    }

    public int Count => _rooms.Count;

    /// <summary>The rooms this node knows of (a snapshot; new rooms of other nodes appear once used here).</summary>
    public ICollection<Room> Rooms => _rooms.Values;

    /// <summary>The room, read from the store if it was invalidated (or, with other nodes, not
    /// cached); null if there is no such room.</summary>
    public Room? Find(string name)
    {
        // With other nodes, only a room this node follows (it has local subscribers) is kept up
        // to date by the bus; any other may have moved on (messages, members) since it was cached.
        var stale = _stale.ContainsKey(name) || (_bus.SpansNodes && !_bus.HasSubscribers(name));
        if (_rooms.TryGetValue(name, out var room) && !stale)
        {
            return room;
        }

        // Alone, this node created every room it has: a name it does not hold does not exist,
        // and asking the store (behind the writer's lock) for every such name would let anyone
        // with a certificate hold up joins and leaves for the whole server.
        if (room is null && !stale && !_bus.SpansNodes)
        {
            return null;
        }

        return Load(name);
    }

    /// <summary>The room, if it exists and the channel's user is a member; otherwise the same
    /// refusal for both, so non-members cannot probe which rooms exist.</summary>
    public Room MemberRoom(IClientChannel channel, string name)
    {
        if (Find(name) is { } room && room.IsMember(UserNamePolicy.Normalize(channel.UserName)))
        {
            return room;
        }

        throw new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
            $"You are not a member of '{UserNamePolicy.Printable(name)}'. Join it first (direct conversations are opened with the other user's name).");
    }

    /// <summary>The room, created if it does not exist (direct conversations: their name is
    /// their members, so there is no typo to guard against).</summary>
    public Room GetOrCreate(IClientChannel channel, string name, RoomKind kind) => Find(name) ?? CreateMissing(channel, name, kind);

    /// <summary>A room that does not exist yet, created on purpose; an existing one is refused
    /// (<see cref="ErrorIds.RoomExists"/>), so nobody "creates" a room someone else already runs.</summary>
    public Room Create(IClientChannel channel, string name, RoomKind kind)
    {
        if (Find(name) is not null)
        {
            throw new OpenChatException(ErrorIds.RoomExists, ErrorKind.AlreadyExists,
                $"The room '{UserNamePolicy.Printable(name)}' exists already; join it instead.");
        }

        return CreateMissing(channel, name, kind);
    }

    private Room CreateMissing(IClientChannel channel, string name, RoomKind kind)
    {
        if (_rooms.Count >= _options.MaxRooms)
        {
            throw new OpenChatException(ErrorIds.RoomLimitReached, ErrorKind.Unavailable,
                $"This server holds its maximum of {_options.MaxRooms:N0} rooms; no new room can be created. Ask the admin.");
        }

        if (!_creations.TryTake(UserNamePolicy.Normalize(channel.UserName)))
        {
            if (_rateLimitLines.Admit(_log))
            {
                RoomLog.RateLimited(_log, channel.UserName, "room creation");
            }

            throw new OpenChatException(ErrorIds.RateLimited, ErrorKind.Unavailable, "Too many new rooms from this user; try again in a minute.");
        }

        _store.EnsureRoom(name, kind, _time.GetUtcNow());
        _bus.AnnounceRoomChanged(name);
        RoomLog.RoomCreated(_log, name, channel.UserName);
        return Load(name) ?? throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
            $"The room '{UserNamePolicy.Printable(name)}' was created but cannot be read back from the store.");
    }

    /// <summary>Adds the user to the room in the store, then here; true if the user was not a
    /// member before.</summary>
    public bool AddMember(Room room, string userName)
    {
        if (room.IsMember(UserNamePolicy.Normalize(userName)))
        {
            return false;
        }

        lock (_writeThrough)
        {
            _store.AddMember(room.Name, userName);
            var added = room.AddMember(userName);
            _bus.AnnounceRoomChanged(room.Name);
            return added;
        }
    }

    public void RemoveMember(Room room, string userName)
    {
        lock (_writeThrough)
        {
            _store.RemoveMember(room.Name, userName);
            room.RemoveMember(userName);
            _bus.AnnounceRoomChanged(room.Name);
        }
    }

    /// <summary>The channel receives the room's events from now on.</summary>
    public void Subscribe(IClientChannel channel, Room room)
    {
        _bus.Subscribe(room.Name, channel);
        channel.Subscriptions.TryAdd(room.Name, 0);
        // A channel that closed meanwhile has already been unsubscribed from everything it had.
        if (channel.IsClosed)
        {
            _bus.Unsubscribe(room.Name, channel);
        }
    }

    public void Unsubscribe(IClientChannel channel, string room)
    {
        _bus.Unsubscribe(room, channel);
        channel.Subscriptions.TryRemove(room, out _);
    }

    public void UnsubscribeAll(IClientChannel channel)
    {
        foreach (var name in channel.Subscriptions.Keys)
        {
            _bus.Unsubscribe(name, channel);
        }
    }

    /// <summary>Forgets what is cached of the room: it is read from the store again now, and
    /// (should that fail) at its next use. Channels of users who are no longer members stop
    /// receiving it.</summary>
    public void Invalidate(string name)
    {
        _stale[name] = 0;
        try
        {
            Load(name);
        }
        catch (Exception e)
        {
            // The room stays marked stale, so the next request reads it again.
            RoomLog.RoomReloadFailed(_log, e, name, e.GetType().Name);
        }
    }

    private Room? Load(string name)
    {
        lock (_writeThrough)
        {
            return LoadHeld(name);
        }
    }

    private Room? LoadHeld(string name)
    {
        // Cleared before reading, so an invalidation that arrives during the read marks it again.
        _stale.TryRemove(name, out _);
        var ok = false;
        try
        {
            var stored = _store.FindRoom(name);
            if (stored is null)
            {
                _rooms.TryRemove(name, out _);
                ok = true;
                return null;
            }

            var members = _store.LoadMembers(name);
            var room = _rooms.GetOrAdd(name, _ => new Room(stored.Name, stored.Kind, stored.LastSequence, stored.Epoch));
            room.Reload(members, stored.LastSequence, stored.Epoch);
            foreach (var subscriber in _bus.Subscribers(name))
            {
                if (!room.IsMember(UserNamePolicy.Normalize(subscriber.UserName)))
                {
                    Unsubscribe(subscriber, name);
                }
            }

            RoomLog.RoomReloaded(_log, name, members.Count);
            ok = true;
            return room;
        }
        finally
        {
            if (!ok)
            {
                _stale[name] = 0;
            }
        }
    }
}
