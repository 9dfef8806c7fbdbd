using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>Private rooms and roles: creating a room private, and an admin's adds, removals (kicks)
/// and role changes, each a signed commit every member's client checks (<see cref="RoomAdministration"/>).</summary>
public sealed partial class SecureSession
{
    private RoomAdministration? _administration;

    private RoomAdministration Administration =>
        _administration ??= new RoomAdministration(_client, _rooms, _membership, _committer, _log);

    /// <summary>Creates a room on purpose and founds its group with this user as its only admin;
    /// with <paramref name="isPrivate"/>, only users an admin adds may ever join its encryption.</summary>
    public Task<JoinedRoom> CreateRoomAsync(string room, bool isPrivate, CancellationToken cancellationToken = default) =>
        _membership.EnterAsync(room, create: true, cancellationToken, isPrivate);

    /// <summary>Adds <paramref name="userName"/> to the room's policy with <paramref name="role"/>
    /// (or adds them back after a removal, or changes their role). In a private room they may then
    /// join by entering it; nothing is wrapped to their long-term key. This user must be an admin.</summary>
    public Task AddMemberAsync(string room, string userName, RoomRole role = RoomRole.Member, CancellationToken cancellationToken = default) =>
        Administration.SetRoleAsync(room, userName, role, mustBeNamed: false, cancellationToken);

    /// <summary>Removes <paramref name="userName"/> (a kick): marked Removed in the policy and every
    /// device of theirs out of the encryption in the same commit, so they read nothing sent after
    /// it, and may not join again until an admin adds them back.</summary>
    public Task RemoveMemberAsync(string room, string userName, CancellationToken cancellationToken = default) =>
        Administration.RemoveAsync(room, userName, cancellationToken);

    /// <summary>Gives a user the room's policy names as Member or Admin the other role.</summary>
    public Task SetMemberRoleAsync(string room, string userName, RoomRole role, CancellationToken cancellationToken = default) =>
        Administration.SetRoleAsync(room, userName, role, mustBeNamed: true, cancellationToken);

    /// <summary>The room's users with their roles, as this device's group has verified them
    /// (empty for a room this device has not entered).</summary>
    public IReadOnlyList<RoomMemberRole> MemberRoles(string room) =>
        _rooms.Find(RoomNames.Normalize(room))?.Read(RoomAdministration.Members) ?? [];

    /// <summary>True when the room's verified policy admits only the users it names.</summary>
    public bool IsPrivateRoom(string room) => _rooms.Find(RoomNames.Normalize(room))?.Read(s => s.IsPrivate) ?? false;
}
