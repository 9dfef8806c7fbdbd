using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>Roles and private rooms: the room's policy as the last accepted commit says, and the
/// commits an admin's device makes to change it (<see cref="CommitReason.Manage"/>). Every change
/// is checked here by the same rules the other members apply (<see cref="RolePolicy"/>), so a
/// change they would refuse fails before it is committed.</summary>
public sealed partial class GroupState
{
    /// <summary>True when the room admits only the users its policy names.</summary>
    public bool IsPrivate => Policy.Private;

    /// <summary>Each user the policy names and their role (removed users included).</summary>
    public IReadOnlyDictionary<string, RoomRole> Roles => Policy.Roles;

    /// <summary>The role of <paramref name="userName"/>, or null when the policy does not name them.</summary>
    public RoomRole? RoleOf(string userName) => Policy.RoleOf(userName);

    /// <summary>This device's user's role (null: not named).</summary>
    public RoomRole? OwnRole => RoleOf(_me.UserName);

    /// <summary>True when this device's user may change the room's policy.</summary>
    public bool IsAdmin => Policy.IsAdmin(_me.UserName);

    /// <summary>True when this device's user may be a member under the current policy: not marked
    /// Removed, and in a private room named as Member or Admin.</summary>
    public bool MayJoin => OwnRole is var role && role != RoomRole.Removed && (!IsPrivate || role is not null);

    /// <summary>The commit that founds the room's group with this device's user as its only admin;
    /// a direct conversation has no roles (<see cref="RoomPolicy.Legacy"/>), whatever is asked.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateFoundingCommit(bool isPrivate) =>
        CreateCommit(CommitReason.Create, [], DirectUsers() is null ? RoomPolicy.ForCreator(_me.UserName, isPrivate) : RoomPolicy.Legacy);

    /// <summary>A Manage that names <paramref name="userName"/> with <paramref name="role"/>
    /// (Member or Admin): adds them (back), or changes their role. Nobody's devices change: an
    /// added user enters by their own join.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateSetRoleCommit(string userName, RoomRole role)
    {
        if (role is not (RoomRole.Member or RoomRole.Admin))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "A role to give is Member or Admin; a user is removed with CreateRemoveUserCommit.");
        }

        return CreateManageCommit(Policy.With(userName, role), _roster.Members);
    }

    /// <summary>A Manage that marks <paramref name="userName"/> Removed and takes every device of
    /// theirs out of the group in the same commit (a kick: they read nothing sent afterwards).</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateRemoveUserCommit(string userName) =>
        CreateManageCommit(Policy.With(userName, RoomRole.Removed), _roster.Members.Where(s => !Roster.SameName(_roster.NameOf(s), userName)).ToList());

    /// <summary>The devices of the current epoch whose user is <paramref name="userName"/>.</summary>
    public IReadOnlyList<string> DevicesOf(string userName) => _roster.Members.Where(s => Roster.SameName(_roster.NameOf(s), userName)).ToList();

    /// <summary>Why the current members would refuse <paramref name="next"/> from this device's
    /// user, or null when they would accept it.</summary>
    public string? PolicyChangeProblem(RoomPolicy next) => RolePolicy.CheckPolicyChange(Policy, next, _me.UserName)?.Reason;

    private (byte[] Body, ulong BuiltOnEpoch) CreateManageCommit(RoomPolicy next, IReadOnlyList<string> members)
    {
        if (!IsMember)
        {
            throw new CryptoException("This device is not a member of the room's group; it cannot change the room's policy.");
        }

        if (PolicyChangeProblem(next) is { } problem)
        {
            throw new CryptoException($"The members would refuse this change: {problem}.");
        }

        return CreateCommit(CommitReason.Manage, members, next);
    }
}
