using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>The room's group as it stood before a commit: enough to tell what the commit changed.</summary>
internal sealed record GroupSnapshot(IReadOnlyList<string> Serials, IReadOnlyList<string> Names, RoomPolicy Policy)
{
    public static GroupSnapshot Of(GroupState state) => new([.. state.MemberSerials], [.. state.MemberNames], state.Policy);
}

/// <summary>
/// What an applied commit changed that the people in the room must see, told with its membership
/// notice (one notice per event): each device new to the group (a new member, or a new device of a member), with its
/// user's safety state, and each role an admin changed. Pure: the pump hands it the group before
/// and after and the way to look up trust.
/// </summary>
internal static class CommitAnnouncements
{
    /// <param name="trustOf">The safety state of a user's device (user, serial).</param>
    /// <param name="isOwn">True for this device's own serials (never announced to itself).</param>
    public static (IReadOnlyList<MemberArrival> Arrivals, IReadOnlyList<RoleChange> RoleChanges) Of(GroupSnapshot before, GroupState after, string actor,
        Func<string, string, ContactTrust> trustOf, Func<string, bool> isOwn)
    {
        var arrivals = new List<MemberArrival>();
        var roles = new List<RoleChange>();
        var had = Roster.SerialSet(before.Serials);
        var hadUsers = new HashSet<string>(before.Names, Roster.NameComparer);
        var announced = new HashSet<string>(Roster.NameComparer);
        foreach (var serial in after.MemberSerials.Where(s => !had.Contains(s) && !isOwn(s)))
        {
            var user = after.Packages.TryGetValue(serial, out var package) ? package.UserName : serial;
            if (announced.Add(user))
            {
                arrivals.Add(new MemberArrival(user, hadUsers.Contains(user), trustOf(user, serial)));
            }
        }

        foreach (var (user, role) in after.Roles.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var previous = before.Policy.RoleOf(user);
            if (previous != role && !(previous is null && before.Policy.Roles.Count == 0 && role == RoomRole.Admin && Roster.SameName(user, actor)))
            {
                roles.Add(new RoleChange(user, previous, role));
            }
        }

        return (arrivals, roles);
    }
}
