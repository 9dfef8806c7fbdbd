using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>The room's group as it stood before a commit: enough to tell what the commit changed.</summary>
internal sealed record GroupSnapshot(IReadOnlyList<string> Serials, IReadOnlyList<string> Names, RoomPolicy Policy)
{
    public static GroupSnapshot Of(GroupState state) => new([.. state.MemberSerials], [.. state.MemberNames], state.Policy);
}

/// <summary>
/// What an applied commit changed that the people in the room must see, beyond the membership
/// notice: each device new to the group (a new member, or a new device of a member), with its
/// user's safety state, and each role an admin changed. Pure: the pump hands it the group before
/// and after and the way to look up trust.
/// </summary>
internal static class CommitAnnouncements
{
    /// <param name="trustOf">The safety state of a user's device (user, serial).</param>
    /// <param name="isOwn">True for this device's own serials (never announced to itself).</param>
    public static IReadOnlyList<SecureNotice> Of(GroupSnapshot before, GroupState after, string actor, Func<string, string, ContactTrust> trustOf,
        Func<string, bool> isOwn)
    {
        var notices = new List<SecureNotice>();
        var had = Roster.SerialSet(before.Serials);
        var hadUsers = new HashSet<string>(before.Names, Roster.NameComparer);
        var announced = new HashSet<string>(Roster.NameComparer);
        foreach (var serial in after.MemberSerials.Where(s => !had.Contains(s) && !isOwn(s)))
        {
            var user = after.Packages.TryGetValue(serial, out var package) ? package.UserName : serial;
            if (announced.Add(user))
            {
                notices.Add(new MemberArrivedNotice(user, hadUsers.Contains(user), trustOf(user, serial), after.IsPrivate));
            }
        }

        foreach (var (user, role) in after.Roles.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var previous = before.Policy.RoleOf(user);
            if (previous != role && !(previous is null && before.Policy.Roles.Count == 0 && role == RoomRole.Admin && Roster.SameName(user, actor)))
            {
                notices.Add(new RoleChangedNotice(actor, user, previous, role));
            }
        }

        return notices;
    }
}
