using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

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
        var count = EntryList.Capacity + 1;
        var numbers = Enumerable.Range(0, count).Select(i => screen.Show(new ChatScreen.Entry("", $"line {i}"))).ToList();
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), numbers); // the first 200 were dropped on the way

        screen.Replace(numbers[count - 2], new ChatScreen.Entry("", $"line {count - 2} rewritten"));
        screen.Replace(numbers[3], new ChatScreen.Entry("", "dropped long ago"));
        var rows = console.Read(s => s.Rows.ToList());
        Assert.Equal([$"line {count - 2} rewritten", $"line {count - 1}", " status", ">"], rows[^4..]);
        for (var i = 0; i < 400; i++)
        {
            screen.PageUp(); // as far back as it goes: the oldest kept, not the dropped
        }

        Assert.Equal("line 200", console.Read(s => s.Row(0)));
        Assert.DoesNotContain(rows, r => r.Contains("dropped", StringComparison.Ordinal));
    }

    private static ChatScreen.Entry Line(string text) => new("", text);

    private static List<string> Region(TestChatConsole console) => console.Read(s => s.Rows.Take(s.Height - 2).ToList());

    private static string StatusRow(TestChatConsole console) => console.Read(s => s.Row(s.Height - 2));

    private static (TestChatConsole Console, ChatScreen Screen) ScreenWithLines(int lines, int width = 60, int height = 10)
    {
        var console = new TestChatConsole(width, height); // 8 rows of messages
        var screen = new ChatScreen(console);
        screen.Layout(" status");
        for (var i = 0; i < lines; i++)
        {
            screen.Show(Line($"line {i:00}"));
        }

        return (console, screen);
    }

    private static List<string> Lines(int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(i => $"line {i:00}")];

    [Fact]
    public void PageUp_scrolls_back_a_screen_less_a_row_and_new_entries_wait_below_without_moving_the_view()
    {
        var (console, screen) = ScreenWithLines(50);
        Assert.Equal(Lines(42, 49), Region(console));

        screen.PageUp();
        Assert.Equal(Lines(35, 42), Region(console));
        Assert.Equal(" SCROLLED BACK: End returns | status", StatusRow(console));

        screen.Show(Line("line 50"));
        screen.Show(Line("line 51"));
        Assert.Equal(Lines(35, 42), Region(console)); // not yanked to the bottom
        Assert.Equal(" SCROLLED BACK: 2 new below, End returns | status", StatusRow(console));

        screen.PageDown();
        Assert.Equal(Lines(42, 49), Region(console));
        screen.PageDown();
        Assert.Equal(Lines(44, 51), Region(console)); // the bottom: live again
        Assert.Equal(" status", StatusRow(console));
        Assert.False(screen.ScrolledBack);

        screen.Show(Line("line 52"));
        Assert.Equal(Lines(45, 52), Region(console)); // live entries scroll in as before
    }

    [Fact]
    public void End_returns_to_the_newest_entries_and_PageUp_stops_at_the_oldest()
    {
        var (console, screen) = ScreenWithLines(30);
        for (var i = 0; i < 10; i++)
        {
            screen.PageUp();
        }

        Assert.Equal(Lines(0, 7), Region(console)); // a full screen from the oldest, no blank rows above it
        screen.End();
        Assert.Equal(Lines(22, 29), Region(console));
        Assert.Equal(" status", StatusRow(console));
    }

    [Fact]
    public void A_screen_shorter_than_the_window_does_not_scroll()
    {
        var (console, screen) = ScreenWithLines(5);
        screen.PageUp();
        Assert.False(screen.ScrolledBack);
        Assert.Equal(Lines(0, 4), Region(console)[^5..]);
        Assert.Equal(" status", StatusRow(console));
    }

    [Fact]
    public void PageUp_past_the_oldest_entry_held_asks_for_older_ones_and_puts_them_above()
    {
        var (console, screen) = ScreenWithLines(0);
        var asked = new List<int>();
        screen.Older = free =>
        {
            asked.Add(free);
            return asked.Count == 1 ? [.. Enumerable.Range(0, 20).Select(i => Line($"old {i:00}"))] : [];
        };
        for (var i = 0; i < 10; i++)
        {
            screen.Show(Line($"line {i:00}"));
        }

        screen.PageUp();
        Assert.Equal(EntryList.Capacity - 10, Assert.Single(asked)); // as many as there is room for
        Assert.Equal(["old 15", "old 16", "old 17", "old 18", "old 19", "line 00", "line 01", "line 02"], Region(console));

        screen.PageUp();
        screen.PageUp();
        screen.PageUp();
        Assert.Equal([.. Enumerable.Range(0, 8).Select(i => $"old {i:00}")], Region(console));
        Assert.Equal(2, asked.Count); // asked again at the top; nothing more came
    }

    [Fact]
    public void A_resize_draws_the_same_entries_again_wrapped_for_the_new_width_with_no_gaps()
    {
        var text = string.Concat(Enumerable.Range(0, 70).Select(i => (char)('a' + (i % 26))));
        var console = new TestChatConsole(60, 12);
        var screen = new ChatScreen(console);
        screen.Layout(" status");
        for (var i = 0; i < 6; i++)
        {
            screen.Show(new ChatScreen.Entry($"m{i}: ", text, 4));
        }

        console.Resize(30, 12);
        screen.Layout(" status");
        var region = Region(console);
        Assert.All(region, r => Assert.NotEqual("", r)); // filled from the entries, no blank gaps
        Assert.All(region, r => Assert.InRange(r.Length, 1, 30));
        // Every message seen from its first row is whole, its further rows indented under it.
        var firsts = region.Select((r, i) => (r, i)).Where(x => x.r.StartsWith('m')).ToList();
        Assert.True(firsts.Count >= 2);
        foreach (var (row, at) in firsts.Take(firsts.Count - 1))
        {
            var rest = region.Skip(at + 1).TakeWhile(r => r.StartsWith("    ", StringComparison.Ordinal)).Select(r => r.TrimStart());
            Assert.Equal(text, row[4..] + string.Concat(rest));
        }

        Assert.Equal("m5: " + text[..26], region[^3]);
        Assert.Equal(0, console.Read(s => s.CutCharacters));
    }

    [Fact]
    public void A_resize_while_scrolled_back_keeps_the_view_on_the_same_entries()
    {
        var (console, screen) = ScreenWithLines(50);
        screen.PageUp();
        Assert.Equal("line 42", Region(console)[^1]);
        console.Resize(40, 14);
        screen.Layout(" status");
        Assert.Equal(Lines(31, 42), Region(console));
        Assert.StartsWith(" SCROLLED BACK", StatusRow(console), StringComparison.Ordinal);
    }
}
