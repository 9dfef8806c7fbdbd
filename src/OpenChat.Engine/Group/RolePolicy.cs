namespace OpenChat.Engine.Group;

/// <summary>
/// The rules of a room's policy (<see cref="RoomPolicy"/>): who may change it, how, and who may
/// be a member under it. Every member's client applies them to every commit against the epoch
/// before, so neither the server nor a user it mints can add anyone to a private room, change a
/// role, or bring back a user an admin removed: only a device of an admin can sign such a change.
/// Pure, like <see cref="CommitPolicy"/>, which calls it.
/// </summary>
internal static class RolePolicy
{
    /// <summary>The refusal of <paramref name="commit"/> under the policy of the epoch before
    /// (<paramref name="before"/>), given the devices of the new epoch; null when it may be applied.</summary>
    public static Refusal? Check(RoomPolicy before, Roster old, Commit commit, IReadOnlyCollection<string> newMembers)
    {
        var after = commit.Policy;
        var committerUser = old.NameOf(commit.CommitterSerial);
        var direct = CommitPolicy.DirectUsersOf(commit.Room) is not null;
        var changed = commit.Reason switch
        {
            // A direct conversation's two users are equals: its founder is no admin, who could
            // otherwise lock the other person out of their own conversation.
            CommitReason.Create when direct && !after.SameAs(RoomPolicy.Legacy) =>
                new Refusal(RejectReason.DirectRoomWithRoles, "a create commit of a direct conversation that gives it roles"),
            CommitReason.Manage when direct => new Refusal(RejectReason.ManageInDirectRoom, "a Manage in a direct conversation (it has no admins)"),
            // A founder names itself the only admin; a room founded before roles (or by a client
            // that sets none) is open and has no admin, as every room was.
            CommitReason.Create when !(after.SameAs(RoomPolicy.Legacy) || after.SameAs(RoomPolicy.ForCreator(committerUser, after.Private))) =>
                new Refusal(RejectReason.CreatePolicyNotCreators, "a create commit whose policy is not its creator's alone"),
            CommitReason.Create => null,
            CommitReason.Manage => CheckManage(before, after, committerUser, old, newMembers),
            _ when !after.SameAs(before) => new Refusal(RejectReason.PolicyChangedOutsideManage, $"a {commit.Reason} commit that changes the room's policy (only an admin's Manage may)"),
            _ => null,
        };
        return changed ?? CheckMembers(after, old, commit, newMembers);
    }

    /// <summary>What an admin may do to a policy: add users (as Member, Admin or Removed), set
    /// roles, mark users Removed; never unname a user, flip the private flag, or leave a room
    /// that had an admin with none. Null when <paramref name="after"/> is such a change by
    /// <paramref name="adminUser"/>; also used to check a change before it is committed.</summary>
    public static Refusal? CheckPolicyChange(RoomPolicy before, RoomPolicy after, string adminUser)
    {
        if (!before.IsAdmin(adminUser))
        {
            return new Refusal(RejectReason.ManageByNonAdmin, $"a change of the room's policy by {adminUser}, who is not an admin of it");
        }

        if (after.Private != before.Private)
        {
            return new Refusal(RejectReason.PrivacyChanged, "a change that makes the room private or open (a room stays as it was created)");
        }

        if (before.Roles.Keys.FirstOrDefault(user => after.RoleOf(user) is null) is { } unnamed)
        {
            return new Refusal(RejectReason.ManageUnnamesUser, $"a change that drops {unnamed} from the room's policy (a user is removed by marking them Removed)");
        }

        if (before.Roles.Values.Contains(RoomRole.Admin) && !after.Roles.Values.Contains(RoomRole.Admin))
        {
            return new Refusal(RejectReason.LastAdminRemoved, "a change that leaves the room without an admin");
        }

        return null;
    }

    // A Manage changes the policy and drops exactly the devices of the users it marks Removed:
    // a kicked user is out of the encryption in the same commit, before anyone sends again.
    private static Refusal? CheckManage(RoomPolicy before, RoomPolicy after, string committerUser, Roster old, IReadOnlyCollection<string> newMembers)
    {
        if (CheckPolicyChange(before, after, committerUser) is { } refused)
        {
            return refused;
        }

        if (newMembers.FirstOrDefault(s => !old.Contains(s)) is { } added)
        {
            return new Refusal(RejectReason.ManageAddsDevices, $"a Manage that adds device {added} (an added user joins by their own Join)");
        }

        var kept = Roster.SerialSet(newMembers);
        foreach (var serial in old.Members)
        {
            var removed = after.RoleOf(old.NameOf(serial)) == RoomRole.Removed;
            if (removed && kept.Contains(serial))
            {
                return new Refusal(RejectReason.ManageKeepsRemovedDevices, $"a Manage that marks {old.NameOf(serial)} Removed but keeps their device {serial}");
            }

            if (!removed && !kept.Contains(serial))
            {
                return new Refusal(RejectReason.ManageDropsOthers, $"a Manage that drops device {serial} of {old.NameOf(serial)}, whom it does not remove");
            }
        }

        return null;
    }

    // Who may be a member under the new policy: nobody marked Removed, and in a private room only
    // the users it names as Member or Admin. A device's user is the one its verified package names.
    private static Refusal? CheckMembers(RoomPolicy after, Roster old, Commit commit, IReadOnlyCollection<string> newMembers)
    {
        foreach (var serial in newMembers)
        {
            var user = old.NameOf(serial);
            var role = after.RoleOf(user);
            var isJoiner = commit.Reason == CommitReason.Join && Roster.SameSerial(serial, commit.CommitterSerial);
            if (role == RoomRole.Removed)
            {
                return isJoiner
                    ? new Refusal(RejectReason.RemovedUserRejoins, $"a join by {user}, whom an admin removed from the room")
                    : new Refusal(RejectReason.RemovedUserMember, $"a commit that keeps or adds device {serial} of {user}, whom an admin removed");
            }

            if (after.Private && role is null)
            {
                return isJoiner
                    ? new Refusal(RejectReason.JoinNotInPrivateRoom, $"a join of the private room by {user}, whom no admin added")
                    : new Refusal(RejectReason.PrivateRoomOutsider, $"a commit that makes device {serial} of {user}, whom no admin added, a member of the private room");
            }
        }

        return null;
    }
}
