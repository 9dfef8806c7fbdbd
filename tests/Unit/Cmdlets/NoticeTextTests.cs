using System.Globalization;
using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>The words of typed notices: the sentences users and scripts (the Pester suite
/// matches some) have always read, now composed in the module instead of the engine.</summary>
public class NoticeTextTests
{
    private static SecureMessage NoticeMessage(SecureNotice? notice, string text = "") =>
        new("ops", 7, "bob", "0a0b", text, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, true, ContactTrust.Unverified, null, 1, false, 0)
        {
            IsNotice = true,
            Notice = notice,
        };

    [Theory]
    [InlineData(MembershipNoticeKind.Created, "Create")]
    [InlineData(MembershipNoticeKind.Joined, "Join")]
    [InlineData(MembershipNoticeKind.Added, "Add")]
    [InlineData(MembershipNoticeKind.Removed, "Remove")]
    [InlineData(MembershipNoticeKind.Rotated, "Rotate")]
    public void A_change_of_the_group_names_who_made_it_the_change_and_the_members_after_it(MembershipNoticeKind kind, string change)
    {
        Assert.Equal($"bob changed the room's encryption ({change}): members now alice, bob.",
            NoticeText.Format(new MembershipNotice(kind, "bob", ["alice", "bob"])));
    }

    [Fact]
    public void A_departure_reads_differently_for_the_user_who_left()
    {
        Assert.Equal("carol left the room; their devices are removed from its encryption before the next message.",
            NoticeText.Format(new MembershipNotice(MembershipNoticeKind.Left, "carol", [])));
        Assert.Equal("You left the room; the other members remove your devices from its encryption before their next message.",
            NoticeText.Format(new MembershipNotice(MembershipNoticeKind.YouLeft, "alice", [])));
    }

    [Fact]
    public void A_device_removed_from_the_group_is_told_it_cannot_read_on()
    {
        Assert.Equal("You were removed from this room's encryption: later messages cannot be read here.",
            NoticeText.Format(new MembershipNotice(MembershipNoticeKind.RemovedThisDevice, "bob", ["bob"])));
    }

    [Fact]
    public void Dropped_unread_messages_are_told_with_the_bounds()
    {
        var text = NoticeText.Format(new UnreadDroppedNotice(10_000, 16 * 1024 * 1024));
        Assert.Equal($"Unread messages of this room beyond {10_000.ToString("N0", CultureInfo.CurrentCulture)} (or 16 MiB of text) are dropped on this device, oldest first. Read them (Receive-ChatMessage -Room) to keep up.", text);
    }

    [Fact]
    public void A_message_not_sent_is_recognisable_by_its_start_and_says_why()
    {
        var queued = new DateTimeOffset(2026, 12, 1, 10, 30, 0, TimeSpan.Zero);
        var text = NoticeText.Format(new NotSentNotice("to someone who does not exist", queued, "UserNotFound", "There is no user 'ghost' on this server."));
        Assert.Equal($"Your message \"to someone who does not exist\" (queued {queued.ToLocalTime():yyyy-MM-dd HH:mm}) was not sent: There is no user 'ghost' on this server.", text);
    }

    [Fact]
    public void A_notice_saved_by_an_older_version_keeps_its_own_words()
    {
        Assert.Equal("bob changed the room's encryption (Join): members now bob.", NoticeText.Of(NoticeMessage(null, "bob changed the room's encryption (Join): members now bob.")));
    }

    [Fact]
    public void The_message_object_and_the_terminal_show_the_same_words()
    {
        var message = NoticeMessage(new MembershipNotice(MembershipNoticeKind.Left, "carol", []));
        var expected = "carol left the room; their devices are removed from its encryption before the next message.";
        Assert.Equal(expected, new ChatMessage(message).Text);
        Assert.Equal(expected, TerminalChat.Format(message).Body);
    }

    [Fact]
    public void A_key_renewal_is_told_calmly_with_the_trust_kept()
    {
        Assert.Equal("bob renewed its key: its previous key signed over to the new one, so its trust stays as it was (its safety number changed).",
            NoticeText.Format(new KeyRenewedNotice("bob")));
    }

    [Fact]
    public void A_device_new_to_the_room_is_told_loudly_with_its_safety_state_unless_verified()
    {
        var joined = new MembershipNotice(MembershipNoticeKind.Joined, "carol", ["alice", "carol"]) { Arrivals = [new("carol", false, ContactTrust.Unverified)] };
        Assert.Equal("carol changed the room's encryption (Join): members now alice, carol. NEW MEMBER carol: unverified, compare safety numbers (Get-ChatContact carol).",
            NoticeText.Format(joined));
        Assert.True(NoticeText.IsLoud(joined));

        var minted = new MembershipNotice(MembershipNoticeKind.Joined, "bob", ["alice", "bob", "bob"]) { Arrivals = [new("bob", true, ContactTrust.Changed)] };
        Assert.EndsWith("NEW DEVICE of bob: KEY CHANGED since you verified them; if they did not add a device, the server may have minted it (Get-ChatContact bob).",
            NoticeText.Format(minted));
        Assert.True(NoticeText.IsLoud(minted));

        var verified = new MembershipNotice(MembershipNoticeKind.Joined, "dave", ["dave"]) { Arrivals = [new("dave", true, ContactTrust.Verified)] };
        Assert.EndsWith("NEW DEVICE of dave (verified).", NoticeText.Format(verified));
        Assert.False(NoticeText.IsLoud(verified));
        Assert.False(NoticeText.IsLoud(new MembershipNotice(MembershipNoticeKind.Joined, "dave", ["dave"])));
    }

    [Theory]
    [InlineData(null, RoomRole.Member, "alice added bob to the room.")]
    [InlineData(RoomRole.Removed, RoomRole.Admin, "alice added bob to the room as an admin.")]
    [InlineData(RoomRole.Member, RoomRole.Admin, "alice made bob an admin of the room.")]
    [InlineData(RoomRole.Admin, RoomRole.Member, "alice made bob a member of the room (no longer an admin).")]
    [InlineData(RoomRole.Member, RoomRole.Removed, "alice removed bob from the room: their devices left its encryption, and they cannot read what is sent from now on.")]
    public void A_role_change_names_the_admin_the_user_and_what_changed(RoomRole? before, RoomRole after, string text)
    {
        var notice = new MembershipNotice(MembershipNoticeKind.Managed, "alice", ["alice"]) { RoleChanges = [new("bob", before, after)] };
        Assert.Equal(text, NoticeText.Format(notice));
        Assert.Equal(after == RoomRole.Removed, NoticeText.IsLoud(notice));
    }
}
