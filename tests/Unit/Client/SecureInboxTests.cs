using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Client;

/// <summary>One inbox for what is not read yet: taken by room when asked, the rest held and
/// saved, bounded per room with the oldest dropped and the user told once.</summary>
public class SecureInboxTests
{
    private static SecureMessage Message(string room, ulong sequence, string text = "hi") =>
        new(room, sequence, "bob", "0a", text, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, true, ContactTrust.Unverified, null, 1, false, 0);

    [Fact]
    public void A_read_of_one_room_holds_the_other_rooms_messages_for_later()
    {
        var inbox = new SecureInbox(100, 1_000_000, () => { });
        inbox.Add(Message("a", 1));
        inbox.Add(Message("b", 1));
        inbox.Add(Message("a", 2));

        Assert.True(inbox.TryReceive(out var first, m => m.Room == "b"));
        Assert.Equal(("b", 1ul), (first!.Room, first.Sequence));
        Assert.Equal(2, inbox.UnreadCounts()["a"]);
        Assert.False(inbox.UnreadCounts().ContainsKey("b"));
        Assert.Equal([1ul, 2ul], inbox.Snapshot().Select(m => m.Sequence));
    }

    [Fact]
    public async Task Past_the_bound_the_oldest_of_the_room_is_dropped_and_a_typed_notice_says_so_once()
    {
        var inbox = new SecureInbox(2, 1_000_000, () => { });
        for (ulong i = 1; i <= 5; i++)
        {
            inbox.Add(Message("noise", i));
        }

        inbox.Add(Message("quiet", 1));
        var read = new List<SecureMessage>();
        while (inbox.TryReceive(out var m, null))
        {
            read.Add(m!);
        }

        Assert.Equal([4ul, 5ul], read.Where(m => !m.IsNotice && m.Room == "noise").Select(m => m.Sequence));
        var notice = Assert.Single(read, m => m.IsNotice);
        Assert.Equal(new UnreadDroppedNotice(2, 1_000_000), notice.Notice);
        Assert.Contains(read, m => m.Room == "quiet");

        // What a blocking read gets is the same: a dropped message still in the channel is skipped.
        var again = new SecureInbox(1, 1_000_000, () => { });
        again.Add(Message("noise", 1));
        again.Add(Message("noise", 2));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(2ul, (await again.ReceiveAsync(cts.Token, m => !m.IsNotice)).Sequence);
    }

    [Fact]
    public void The_bound_counts_text_too()
    {
        var inbox = new SecureInbox(100, 10, () => { });
        inbox.Add(Message("r", 1, "123456"));
        inbox.Add(Message("r", 2, "123456"));
        Assert.Equal(1, inbox.UnreadCounts()["r"]);
    }

    [Fact]
    public void Taking_a_message_marks_the_state_changed()
    {
        var changes = 0;
        var inbox = new SecureInbox(100, 1_000, () => changes++);
        inbox.Add(Message("r", 1));
        Assert.Equal(0, changes);
        Assert.True(inbox.TryReceive(out _, null));
        Assert.Equal(1, changes);
    }
}
