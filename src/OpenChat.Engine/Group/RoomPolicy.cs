using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>A user's standing in a room, as its commits record it.</summary>
public enum RoomRole : byte
{
    /// <summary>May be a member (in a private room, only such users may be).</summary>
    Member = 1,

    /// <summary>May add, remove and change the role of others, and is a member.</summary>
    Admin = 2,

    /// <summary>Removed by an admin: may not join again until an admin adds them back.</summary>
    Removed = 3,
}

/// <summary>
/// Who may be in a room and who runs it, carried whole in every commit (format 2) and signed with
/// it: whether the room is private, and each named user's role. Every member checks a change of
/// it against the epoch before (<see cref="CommitPolicy"/>), so only an admin's device can change
/// it, and in a private room nobody joins whom an admin did not add.
/// </summary>
/// <remarks>User names are compared as the roster compares them (case-insensitive). A room whose
/// commits are of format 1 (made before roles existed) has <see cref="Legacy"/>: open, no admins.</remarks>
public sealed record RoomPolicy(bool Private, IReadOnlyDictionary<string, RoomRole> Roles)
{
    // Far above any room's users, low enough that a hostile commit costs little to read.
    public const int MaxUsers = 10_000;

    /// <summary>The policy of a room created before roles: open, nobody is an admin.</summary>
    public static readonly RoomPolicy Legacy = new(false, new Dictionary<string, RoomRole>(Roster.NameComparer));

    /// <summary>A new room's policy: its creator is its only admin.</summary>
    public static RoomPolicy ForCreator(string userName, bool isPrivate) =>
        new(isPrivate, new Dictionary<string, RoomRole>(Roster.NameComparer) { [userName] = RoomRole.Admin });

    /// <summary>The user's role, or null when the policy does not name them.</summary>
    public RoomRole? RoleOf(string userName) => Roles.TryGetValue(userName, out var role) ? role : null;

    public bool IsAdmin(string userName) => RoleOf(userName) == RoomRole.Admin;

    /// <summary>The same policy with <paramref name="userName"/> given <paramref name="role"/> (null: not named).</summary>
    public RoomPolicy With(string userName, RoomRole? role)
    {
        var roles = new Dictionary<string, RoomRole>(Roles, Roster.NameComparer);
        if (role is { } given)
        {
            roles[userName] = given;
        }
        else
        {
            roles.Remove(userName);
        }

        return this with { Roles = roles };
    }

    /// <summary>True when both say the same (privacy and every role), whatever the order.</summary>
    public bool SameAs(RoomPolicy other) =>
        Private == other.Private && Roles.Count == other.Roles.Count
        && Roles.All(r => other.Roles.TryGetValue(r.Key, out var role) && role == r.Value);

    internal void WriteTo(PayloadWriter w)
    {
        w.U8(Private ? (byte)1 : (byte)0).U32((uint)Roles.Count);
        // Sorted, so one policy has one encoding and every member hashes the same commit.
        foreach (var (user, role) in Roles.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            w.String(user).U8((byte)role);
        }
    }

    internal static RoomPolicy ReadFrom(ref PayloadReader r)
    {
        var flags = r.U8();
        if (flags > 1)
        {
            throw new ProtocolException("A room policy with unknown flags.");
        }

        var count = r.U32();
        if (count > MaxUsers)
        {
            throw new ProtocolException("A room policy with an impossible user count.");
        }

        var roles = new Dictionary<string, RoomRole>(Roster.NameComparer);
        for (var i = 0; i < count; i++)
        {
            var user = r.String();
            if (!Pki.UserNamePolicy.IsValid(user))
            {
                throw new ProtocolException("A room policy that names something that is not a user name.");
            }

            var role = (RoomRole)r.U8();
            if (role is not (RoomRole.Member or RoomRole.Admin or RoomRole.Removed))
            {
                throw new ProtocolException("A room policy with an unknown role.");
            }

            if (!roles.TryAdd(user, role))
            {
                throw new ProtocolException("A room policy that names a user twice.");
            }
        }

        return new RoomPolicy(flags == 1, roles);
    }
}
