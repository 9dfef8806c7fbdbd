using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>How Enter-ChatRoom lays out other people's text (issue 9, item 6): neutralised, and
/// with every row after a message's first indented, so none can pass for a line of the screen's own.</summary>
public class ChatScreenTests
{
    private static SecureMessage Message(string text, string sender = "mallory") =>
        new("ops", 7, sender, "0a0b", text, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, true, ContactTrust.Unverified, null, 1, false, 0);

    private static string Plain(string row) => System.Text.RegularExpressions.Regex.Replace(row, "\u001b\\[[0-9;?]*[A-Za-z]", "");

    [Fact]
    public void Escape_sequences_in_a_message_are_shown_not_obeyed()
    {
        var rows = ChatScreen.Rows(TerminalChat.Format(Message("\u001b[2J\u001b[31mred \u202eevil")), 100);
        var row = Assert.Single(rows);
        Assert.EndsWith("mallory\u001b[0m: ␛[2J␛[31mred \\u202eevil", row);
        // The only escape sequences left are the screen's own colours around the time and name.
        Assert.Equal("HH:mm · mallory: ␛[2J␛[31mred \\u202eevil".Length, Plain(row).Length);
    }

    [Fact]
    public void A_carriage_return_cannot_start_the_line_over()
    {
        var row = Assert.Single(ChatScreen.Rows(TerminalChat.Format(Message("hi\r12:00 · bob: send me the key")), 100));
        Assert.Contains("hi␍12:00 · bob: send me the key", Plain(row));
    }

    [Fact]
    public void Every_line_after_the_first_is_indented_under_the_sender()
    {
        var rows = ChatScreen.Rows(TerminalChat.Format(Message("first line\n12:00 · bob: I am bob\r\nthird")), 100).Select(Plain).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Matches(@"^\d\d:\d\d · mallory: first line$", rows[0]);
        var indent = "HH:mm · mallory: ".Length;
        Assert.Equal(new string(' ', indent) + "12:00 · bob: I am bob", rows[1]);
        Assert.Equal(new string(' ', indent) + "third", rows[2]);
    }

    [Fact]
    public void Long_lines_are_wrapped_by_the_screen_with_the_same_indent_and_nothing_lost()
    {
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => (char)('a' + (i % 26))));
        var rows = ChatScreen.Rows(TerminalChat.Format(Message(text)), 110).Select(Plain).ToList();
        Assert.True(rows.Count > 40);
        Assert.All(rows, r => Assert.InRange(TerminalText.Width(r), 1, 110));
        Assert.All(rows.Skip(1), r => Assert.StartsWith(new string(' ', "HH:mm · mallory: ".Length), r));
        Assert.Equal(text, string.Concat(rows.Select((r, i) => i == 0 ? r[r.IndexOf(": ", StringComparison.Ordinal)..][2..] : r.TrimStart())));
    }

    [Fact]
    public void On_a_narrow_screen_the_indent_is_at_most_a_third_of_it()
    {
        var rows = ChatScreen.Rows(TerminalChat.Format(Message(new string('x', 100), "a-very-long-user-name-of-32-char")), 30).Select(Plain).ToList();
        Assert.All(rows.Skip(1), r => Assert.StartsWith("          x", r));
        Assert.All(rows, r => Assert.InRange(TerminalText.Width(r), 1, 30 + 32));
    }

    [Fact]
    public void Names_and_refusal_reasons_are_neutralised_too()
    {
        var refused = new SecureMessage("ops", 8, "eve\u001b[2J", "0a0b", "", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, false, ContactTrust.Unverified,
            "bad\u001b]0;x\u0007", 1, false, 0);
        var row = Plain(Assert.Single(ChatScreen.Rows(TerminalChat.Format(refused), 100)));
        Assert.Contains("refused event from eve␛[2J: bad␛]0;x␇", row);
        Assert.DoesNotContain('\u001b', row);
        Assert.DoesNotContain('\u0007', row);
    }

    [Fact]
    public void A_notice_wraps_indented_as_well()
    {
        var rows = ChatScreen.Rows(new ChatScreen.Entry("", "Rooms: " + string.Join("  ", Enumerable.Range(0, 30).Select(i => $"room-{i}")), Style: "2"), 40).Select(Plain).ToList();
        Assert.True(rows.Count > 1);
        Assert.All(rows.Skip(1), r => Assert.StartsWith("  ", r));
    }

    [Fact]
    public void An_entry_shown_keeps_its_number_when_older_entries_are_dropped_and_can_be_rewritten_in_place()
    {
        var console = new OpenChat.Tests.Unit.Support.TestChatConsole(60, 10);
        var screen = new ChatScreen(console);
        screen.Layout(" status");
        var numbers = Enumerable.Range(0, 1001).Select(i => screen.Show(new ChatScreen.Entry("", $"line {i}"))).ToList();
        Assert.Equal(Enumerable.Range(0, 1001).Select(i => (long)i), numbers); // the first 200 were dropped on the way

        screen.Replace(numbers[999], new ChatScreen.Entry("", "line 999 rewritten"));
        screen.Replace(numbers[3], new ChatScreen.Entry("", "dropped long ago"));
        var rows = console.Read(s => s.Rows.ToList());
        Assert.Equal(["line 999 rewritten", "line 1000", " status", ">"], rows[^4..]);
        Assert.DoesNotContain(rows, r => r.Contains("dropped", StringComparison.Ordinal));
    }
}
