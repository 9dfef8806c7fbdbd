using OpenChat.Engine.Protocol;

namespace OpenChat;

/// <summary>A room as the server lists it for one user.</summary>
public sealed class ChatRoom
{
    internal ChatRoom(RoomInfo info, ChatSession session)
    {
        Name = info.Name;
        Kind = info.Kind;
        LastSequence = info.LastSequence;
        Members = (int)info.Members;
        IsMember = info.Joined;
        Session = session;
    }

    internal ChatRoom(string name, RoomKind kind, ulong lastSequence, ChatSession session)
    {
        Name = name;
        Kind = kind;
        LastSequence = lastSequence;
        IsMember = true;
        Session = session;
    }

    /// <summary>The room's name; direct conversations are named @user1+user2.</summary>
    public string Name { get; }

    public RoomKind Kind { get; }

    public ulong LastSequence { get; }

    /// <summary>Number of members, when the server listed it (empty on a join's result).</summary>
    public int? Members { get; }

    public bool IsMember { get; }

    public ChatSession Session { get; }

    public override string ToString() => Name;
}

/// <summary>A member of a room and whether they are online.</summary>
public sealed class ChatRoomMember
{
    internal ChatRoomMember(string room, MemberInfo info, bool inEncryption, Engine.Group.RoomRole? role = null)
    {
        Role = role;
        Room = room;
        UserName = info.UserName;
        Online = info.Online;
        AwaySince = info.AwaySince;
        InEncryption = inEncryption;
    }

    /// <summary>True when one of the user's devices is in the room's encrypted group as this
    /// device verified it (the member list itself comes from the server).</summary>
    public bool InEncryption { get; }

    /// <summary>The user's role in the room's verified policy: Admin, Member, Removed (kicked),
    /// or empty when the policy does not name them (a member of an open room).</summary>
    public Engine.Group.RoomRole? Role { get; }

    public string Room { get; }

    public string UserName { get; }

    public bool Online { get; }

    /// <summary>When the user's last connection closed; empty while online or if never seen.</summary>
    public DateTimeOffset? AwaySince { get; }

    public override string ToString() => UserName;
}
