using OpenChat.Engine.Client;

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

    private static string Format(MembershipNotice notice) => notice.Kind switch
    {
        MembershipNoticeKind.RemovedThisDevice => "You were removed from this room's encryption: later messages cannot be read here.",
        MembershipNoticeKind.YouLeft => "You left the room; the other members remove your devices from its encryption before their next message.",
        MembershipNoticeKind.Left => $"{notice.Actor} left the room; their devices are removed from its encryption before the next message.",
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
