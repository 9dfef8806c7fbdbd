using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>A user the room's policy names or who has a device in its encrypted group, with
/// their role (null: not named, a member of an open room) and how many of their devices are in
/// the group now.</summary>
public sealed record RoomMemberRole(string UserName, RoomRole? Role, int Devices);

/// <summary>
/// An admin's changes of a room's policy, committed from this device (<see cref="CommitReason.Manage"/>):
/// add a user with a role, remove one (a kick: their devices leave the encryption in the same
/// commit), change a role. Each is checked first by the rules every member applies, so a change
/// they would refuse fails here with a reason instead of being published and refused.
/// </summary>
internal sealed class RoomAdministration(ChatClient client, RoomGroups rooms, MembershipCoordinator membership, GroupCommitter committer, ILogger log)
{
    private const int MaxAttempts = 5;

    /// <summary>Names <paramref name="userName"/> with <paramref name="role"/> (adds them, adds
    /// them back after a removal, or changes their role); <paramref name="mustBeNamed"/> refuses a
    /// user the room does not name yet (a change of role, not an add).</summary>
    public Task SetRoleAsync(string room, string userName, RoomRole role, bool mustBeNamed, CancellationToken cancellationToken)
    {
        if (role is not (RoomRole.Member or RoomRole.Admin))
        {
            throw new OpenChatException(ErrorIds.RoomRoleRefused, ErrorKind.InvalidArgument, "A role to give is Member or Admin (a user is removed with Remove-ChatRoomMember).");
        }

        var user = UserNameOf(userName);
        return CommitAsync(room, user, state =>
        {
            var current = state.RoleOf(user);
            // In an open room a member need not be named: their device in the group makes them one.
            if (mustBeNamed && current is not (RoomRole.Member or RoomRole.Admin) && (current == RoomRole.Removed || state.DevicesOf(user).Count == 0))
            {
                throw new OpenChatException(ErrorIds.NotAMember, ErrorKind.NotFound,
                    $"'{UserNamePolicy.Printable(user)}' is not a member of '{UserNamePolicy.Printable(room)}'; add them with Add-ChatRoomMember.");
            }

            // An add never changes the role of someone already in (it would demote an admin
            // added again by mistake): that is Set-ChatRoomMember's, on purpose.
            if (!mustBeNamed && current is (RoomRole.Member or RoomRole.Admin) && current != role)
            {
                throw new OpenChatException(ErrorIds.RoomRoleRefused, ErrorKind.InvalidArgument,
                    $"'{UserNamePolicy.Printable(user)}' is already {(current == RoomRole.Admin ? "an admin" : "a member")} of '{UserNamePolicy.Printable(room)}'; nothing changed. Change a role with Set-ChatRoomMember (/op, /deop).");
            }

            return current == role ? null : state.Policy.With(user, role);
        }, state => state.CreateSetRoleCommit(user, role), cancellationToken);
    }

    /// <summary>Marks <paramref name="userName"/> Removed and takes their devices out of the
    /// group in the same commit: nothing sent afterwards opens on them.</summary>
    public Task RemoveAsync(string room, string userName, CancellationToken cancellationToken)
    {
        var user = UserNameOf(userName);
        if (Roster.SameName(user, client.UserName))
        {
            throw new OpenChatException(ErrorIds.RoomRoleRefused, ErrorKind.InvalidArgument,
                $"You cannot remove yourself from '{UserNamePolicy.Printable(room)}'; leave it instead (Exit-ChatRoom).");
        }

        return CommitAsync(room, user,
            state => state.RoleOf(user) == RoomRole.Removed && state.DevicesOf(user).Count == 0 ? null : state.Policy.With(user, RoomRole.Removed),
            state => state.CreateRemoveUserCommit(user), cancellationToken);
    }

    /// <summary>Everyone the room's policy names and everyone with a device in its group, by name.</summary>
    public static IReadOnlyList<RoomMemberRole> Members(GroupState state)
    {
        var names = state.Roles.Keys.Concat(state.MemberNames).Distinct(StringComparer.OrdinalIgnoreCase);
        return names.Select(n => new RoomMemberRole(n, state.RoleOf(n), state.DevicesOf(n).Count))
            .OrderBy(m => m.UserName, StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static string UserNameOf(string userName)
    {
        UserNamePolicy.Validate(userName);
        return UserNamePolicy.Normalize(userName);
    }

    // Under the room's send lock, after the removals due: the change is judged against the epoch
    // it is built on (null: nothing to change) and committed; a lost race is judged again.
    private async Task CommitAsync(string room, string user, Func<GroupState, RoomPolicy?> change, Func<GroupState, (byte[] Body, ulong BuiltOnEpoch)> create,
        CancellationToken cancellationToken)
    {
        room = RoomNames.Normalize(room);
        if (RoomNames.IsDirect(room))
        {
            throw new OpenChatException(ErrorIds.RoomRoleRefused, ErrorKind.InvalidArgument,
                $"'{UserNamePolicy.Printable(room)}' is a direct conversation: it has no members to add, remove or promote.");
        }

        var group = rooms[room];
        if (!group.Read(s => s.IsMember) || !client.JoinedRooms.Contains(room))
        {
            // Our own commit must come back to this device: enter first (it catches up).
            await membership.EnterAsync(room, cancellationToken).ConfigureAwait(false);
        }

        using var sending = await group.EnterSendingAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            MembershipCoordinator.ThrowIfDeparted(group);
            await membership.PrepareToSendAsync(group, cancellationToken).ConfigureAwait(false);
            var commit = group.Read(state =>
            {
                ThrowUnlessAdmin(state);
                if (change(state) is not { } next)
                {
                    return default((byte[], ulong)?);
                }

                if (state.PolicyChangeProblem(next) is { } problem)
                {
                    throw new OpenChatException(ErrorIds.RoomRoleRefused, ErrorKind.PolicyViolation,
                        $"The members of '{UserNamePolicy.Printable(room)}' would refuse this change: {problem}.");
                }

                return create(state);
            });
            if (commit is not var (body, builtOn))
            {
                return;
            }

            switch (await committer.CommitAsync(group, body, builtOn, cancellationToken).ConfigureAwait(false))
            {
                case CommitResult.Applied:
                    RoomRolesLog.PolicyChanged(log, room, user);
                    return;
                case CommitResult.Refused:
                    throw new OpenChatException(ErrorIds.CommitRefused, ErrorKind.PolicyViolation,
                        $"The change of '{UserNamePolicy.Printable(room)}' came back refused by this device's own group; nothing changed.");
            }
        }

        throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable, $"The encrypted group of '{UserNamePolicy.Printable(room)}' kept changing; nothing changed. Try again.");
    }

    private static void ThrowUnlessAdmin(GroupState state)
    {
        if (state.IsAdmin)
        {
            return;
        }

        var admins = state.Roles.Where(r => r.Value == RoomRole.Admin).Select(r => UserNamePolicy.Printable(r.Key)).ToList();
        throw new OpenChatException(ErrorIds.NotRoomAdmin, ErrorKind.PolicyViolation, admins.Count == 0
            ? $"'{UserNamePolicy.Printable(state.Room)}' has no admins (it was made before rooms had roles): nobody can add, remove or promote members there."
            : $"Only an admin of '{UserNamePolicy.Printable(state.Room)}' can add, remove or promote members; its admins: {string.Join(", ", admins)}.");
    }
}
