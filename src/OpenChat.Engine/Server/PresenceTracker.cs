using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>Who is online on this server (a user with any device connected), since when the
/// others are away, each user's live channels, and the presence announcements to the rooms a
/// user is a member of when the first device comes or the last one goes.</summary>
internal sealed class PresenceTracker(RoomDirectory rooms, IRoomEventBus bus, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _online = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _awaySince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IClientChannel>> _channelsByUser = new(StringComparer.Ordinal);

    public void Connected(IClientChannel channel)
    {
        if (channel.Identity is null)
        {
            return;
        }

        var user = UserNamePolicy.Normalize(channel.UserName);
        bool first;
        lock (_gate)
        {
            _online[user] = _online.GetValueOrDefault(user) + 1;
            first = _online[user] == 1;
            _awaySince.Remove(user);
            if (!_channelsByUser.TryGetValue(user, out var list))
            {
                _channelsByUser[user] = list = [];
            }

            list.Add(channel);
        }

        if (first)
        {
            Announce(channel.UserName, online: true);
        }
    }

    public void Disconnected(IClientChannel channel)
    {
        if (channel.Identity is null)
        {
            return;
        }

        var user = UserNamePolicy.Normalize(channel.UserName);
        bool last;
        lock (_gate)
        {
            var left = _online.GetValueOrDefault(user) - 1;
            last = left <= 0;
            if (last)
            {
                _online.Remove(user);
                _awaySince[user] = time.GetUtcNow();
            }
            else
            {
                _online[user] = left;
            }

            if (_channelsByUser.TryGetValue(user, out var list))
            {
                list.Remove(channel);
                if (list.Count == 0)
                {
                    _channelsByUser.Remove(user);
                }
            }
        }

        if (last)
        {
            Announce(channel.UserName, online: false);
        }
    }

    /// <summary>Live channels of the users whose certificates are in <paramref name="serials"/>.</summary>
    public List<IClientChannel> ChannelsWithSerials(IReadOnlySet<string> serials)
    {
        lock (_gate)
        {
            return _channelsByUser.Values.SelectMany(l => l).Where(c => c.Identity is not null && serials.Contains(c.Identity.Serial)).ToList();
        }
    }

    /// <summary>Every live channel (device) of the user.</summary>
    public List<IClientChannel> ChannelsOf(string user)
    {
        lock (_gate)
        {
            return _channelsByUser.TryGetValue(UserNamePolicy.Normalize(user), out var list) ? [.. list] : [];
        }
    }

    /// <summary>The room's members with whether each is online and since when the others are away.</summary>
    public List<MemberInfo> Members(Room room)
    {
        lock (_gate)
        {
            return room.Members()
                .Select(m => new MemberInfo(m, _online.ContainsKey(UserNamePolicy.Normalize(m)),
                    _awaySince.TryGetValue(UserNamePolicy.Normalize(m), out var away) ? away : null))
                .OrderBy(m => m.UserName, StringComparer.OrdinalIgnoreCase)
                .ToList();
        }
    }

    private void Announce(string user, bool online)
    {
        var normalized = UserNamePolicy.Normalize(user);
        var now = time.GetUtcNow();
        foreach (var room in rooms.Rooms)
        {
            if (bus.HasSubscribers(room.Name) && room.IsMember(normalized))
            {
                bus.Publish(room.Name, [new Presence(room.Name, user, online, now).ToFrame()]);
            }
        }
    }
}
