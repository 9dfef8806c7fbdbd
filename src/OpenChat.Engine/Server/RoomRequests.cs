using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>The requests about rooms and their members: join, create, leave, open a direct
/// conversation, list members, list rooms. Room names are taken as <see cref="RoomNames.Normalize"/>
/// makes them (capitals folded), whatever the client did. Refusals are thrown (<see cref="OpenChatException"/>)
/// for the router to answer.</summary>
internal sealed class RoomRequests(RoomDirectory rooms, PresenceTracker presence, Func<string, bool> userExists)
{
    public void Handle(IClientChannel channel, NameRequest request)
    {
        switch (request.Type)
        {
            case MessageType.Join:
                Join(channel, request.Tag, RoomNames.Normalize(request.Name), create: false);
                break;
            case MessageType.CreateRoom:
                Join(channel, request.Tag, RoomNames.Normalize(request.Name), create: true);
                break;
            case MessageType.Leave:
                Leave(channel, request.Tag, RoomNames.Normalize(request.Name));
                break;
            case MessageType.OpenDirect:
                OpenDirect(channel, request.Tag, request.Name);
                break;
            case MessageType.ListMembers:
                var room = rooms.MemberRoom(channel, RoomNames.Normalize(request.Name));
                channel.Send(new MemberList(request.Tag, room.Name, presence.Members(room)));
                break;
            case MessageType.ListRooms:
                ListRooms(channel, request.Tag);
                break;
            default:
                throw MessageCodec.Unexpected(request, "a client");
        }
    }

    // Join never creates: a typo must not become a room (and its first member) by itself.
    // Create makes the room and joins it; direct conversations are opened, never created here.
    private void Join(IClientChannel channel, uint tag, string name, bool create)
    {
        Room room;
        if (RoomNames.IsDirect(name) && !create)
        {
            room = rooms.MemberRoom(channel, name);
        }
        else
        {
            RoomNames.Validate(name);
            room = create
                ? rooms.Create(channel, name, RoomKind.Room)
                : rooms.Find(name) ?? throw new OpenChatException(ErrorIds.RoomNotFound, ErrorKind.NotFound,
                    $"There is no room '{name}'. Create it first (CreateRoom).");
            rooms.AddMember(room, channel.UserName);
        }

        rooms.Subscribe(channel, room);
        channel.Send(new Joined(tag, room.Name, room.Kind, room.LastSequence, room.Epoch));
    }

    private void Leave(IClientChannel channel, uint tag, string name)
    {
        var room = rooms.MemberRoom(channel, name);
        rooms.RemoveMember(room, channel.UserName);
        foreach (var device in presence.ChannelsOf(channel.UserName))
        {
            // Membership is per user: every device of the user stops receiving the room.
            rooms.Unsubscribe(device, room.Name);
        }

        channel.Send(new Left(tag, room.Name));
    }

    private void OpenDirect(IClientChannel channel, uint tag, string other)
    {
        UserNamePolicy.Validate(other);
        if (string.Equals(UserNamePolicy.Normalize(other), UserNamePolicy.Normalize(channel.UserName), StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.UserNameInvalid, ErrorKind.InvalidArgument, "A direct conversation needs another user than yourself.");
        }

        if (!userExists(other))
        {
            throw new OpenChatException(ErrorIds.UserNotFound, ErrorKind.NotFound, $"There is no user '{other}' on this server.");
        }

        var room = rooms.GetOrCreate(channel, RoomNames.Direct(channel.UserName, other), RoomKind.Direct);
        var added = false;
        foreach (var user in new[] { channel.UserName, other })
        {
            added |= rooms.AddMember(room, user);
        }

        rooms.Subscribe(channel, room);
        channel.Send(new Joined(tag, room.Name, room.Kind, room.LastSequence, room.Epoch));
        if (added)
        {
            // The other person learns of the conversation at once on every device that is online.
            foreach (var peer in presence.ChannelsOf(other))
            {
                rooms.Subscribe(peer, room);
                peer.Send(new Joined(0, room.Name, room.Kind, room.LastSequence, room.Epoch));
            }
        }
    }

    private void ListRooms(IClientChannel channel, uint tag)
    {
        var user = UserNamePolicy.Normalize(channel.UserName);
        // Anyone may create rooms, so the list is bounded: the user's own rooms first, then others
        // by name, as many as fit in one frame.
        var list = new List<RoomInfo>();
        var budget = FrameLimits.MaxFrameSize - RoomList.HeaderSize;
        foreach (var r in rooms.Rooms
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

            list.Add(info);
        }

        list.Sort((a, b) => StringComparer.Ordinal.Compare(a.Name, b.Name));
        channel.Send(new RoomList(tag, list));
    }
}
