using OpenChat.Engine.Client;
using OpenChat.Engine.Group;

namespace OpenChat;

/// <summary>
/// The words of a notice: the engine says what happened (<see cref="SecureNotice"/>), this says
/// it in English, for the <see cref="ChatMessage"/> object, Receive-ChatMessage's information
/// stream and the terminal alike. The sentences are those users and scripts have always seen.
/// </summary>
internal static class NoticeText
{
    /// <summary>The text of a message, or the words of a notice (a notice saved by an older
    /// version has its words in the text already).</summary>
    public static string Of(SecureMessage message) => message.Notice is { } notice ? Format(notice) : message.Text;

    public static string Format(SecureNotice notice) => notice switch
    {
        MembershipNotice membership => Format(membership),
        UnreadDroppedNotice dropped =>
            $"Unread messages of this room beyond {dropped.MaxMessages:N0} (or {dropped.MaxChars / 1024 / 1024:N0} MiB of text) are dropped on this device, oldest first. Read them (Receive-ChatMessage -Room) to keep up.",
        KeyRenewedNotice renewed =>
            $"{renewed.UserName} renewed its key: its previous key signed over to the new one, so its trust stays as it was (its safety number changed).",
        NotSentNotice notSent =>
            $"Your message \"{notSent.Preview}\" (queued {notSent.QueuedAt.ToLocalTime():yyyy-MM-dd HH:mm}) was not sent: {notSent.Reason}",
        _ => notice.ToString(),
    };

    /// <summary>True for a notice that must stand out: a device new to the room whose user is not
    /// verified (or whose keys changed), and a removal by an admin.</summary>
    public static bool IsLoud(SecureNotice? notice) => notice is MembershipNotice membership
        && (membership.Arrivals.Any(a => a.Trust != ContactTrust.Verified) || membership.RoleChanges.Any(r => r.After == RoomRole.Removed));

    // The change itself, then what it did to roles, then each device it brought in.
    private static string Format(MembershipNotice notice) =>
        string.Join(" ", notice.RoleChanges.Select(r => Format(notice.Actor, r)).Prepend(Change(notice)).Concat(notice.Arrivals.Select(Format))
            .Where(t => t.Length > 0));

    // Short, so that it stands out rather than scrolls: who, and how far they are trusted.
    private static string Format(MemberArrival arrival) => (arrival.NewDevice, arrival.Trust) switch
    {
        (_, ContactTrust.Changed) =>
            $"NEW DEVICE of {arrival.UserName}: KEY CHANGED since you verified them; if they did not add a device, the server may have minted it (Get-ChatContact {arrival.UserName}).",
        (true, ContactTrust.Verified) => $"NEW DEVICE of {arrival.UserName} (verified).",
        (false, ContactTrust.Verified) => $"NEW MEMBER {arrival.UserName} (verified).",
        (true, _) => $"NEW DEVICE of {arrival.UserName}: unverified, compare safety numbers (Get-ChatContact {arrival.UserName}).",
        _ => $"NEW MEMBER {arrival.UserName}: unverified, compare safety numbers (Get-ChatContact {arrival.UserName}).",
    };

    private static string Format(string actor, RoleChange change) => (change.Before, change.After) switch
    {
        (_, RoomRole.Removed) => $"{actor} removed {change.UserName} from the room: their devices left its encryption, and they cannot read what is sent from now on.",
        (null or RoomRole.Removed, RoomRole.Admin) => $"{actor} added {change.UserName} to the room as an admin.",
        (null or RoomRole.Removed, _) => $"{actor} added {change.UserName} to the room.",
        (_, RoomRole.Admin) => $"{actor} made {change.UserName} an admin of the room.",
        _ => $"{actor} made {change.UserName} a member of the room (no longer an admin).",
    };

    private static string Change(MembershipNotice notice) => notice.Kind switch
    {
        MembershipNoticeKind.RemovedThisDevice => "You were removed from this room's encryption: later messages cannot be read here.",
        MembershipNoticeKind.YouLeft => "You left the room; the other members remove your devices from its encryption before their next message.",
        MembershipNoticeKind.Left => $"{notice.Actor} left the room; their devices are removed from its encryption before the next message.",
        MembershipNoticeKind.Managed => "", // said by its role changes
        _ => $"{notice.Actor} changed the room's encryption ({Change(notice.Kind)}): members now {string.Join(", ", notice.Members)}.",
    };

    // The name the change has always had in these sentences (the commit's reason).
    private static string Change(MembershipNoticeKind kind) => kind switch
    {
        MembershipNoticeKind.Created => "Create",
        MembershipNoticeKind.Joined => "Join",
        MembershipNoticeKind.Added => "Add",
        MembershipNoticeKind.Removed => "Remove",
        _ => "Rotate",
    };
}
