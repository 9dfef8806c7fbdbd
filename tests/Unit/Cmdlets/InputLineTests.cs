using OpenChat.Cmdlets.Terminal;

namespace OpenChat.Tests.Unit.Cmdlets;

public class InputLineTests
{
    private static ConsoleKeyInfo Key(char c) => new(c, default, false, false, false);

    private static ConsoleKeyInfo Key(ConsoleKey key, char c = '\0') => new(c, key, false, false, false);

    // Each key applied in turn; what the last one handed over.
    private static string? TypeAll(InputLine line, string text)
    {
        string? handed = null;
        foreach (var c in text)
        {
            handed = line.Apply(Key(c));
        }

        return handed;
    }

    [Fact]
    public void Enter_hands_over_the_line_trimmed_and_starts_a_new_one()
    {
        var line = new InputLine();
        Assert.Null(TypeAll(line, "  hello  "));
        Assert.Equal("hello", line.Apply(Key(ConsoleKey.Enter, '\r')));
        Assert.Equal("", line.Text);
        Assert.Equal("", line.Apply(Key(ConsoleKey.Enter, '\r')));
    }

    [Fact]
    public void Backspace_takes_the_last_character_and_Esc_the_whole_line()
    {
        var line = new InputLine();
        TypeAll(line, "helx");
        line.Apply(Key(ConsoleKey.Backspace, '\b'));
        Assert.Equal("hel", line.Text);
        line.Apply(Key(ConsoleKey.Escape, '\u001b'));
        Assert.Equal("", line.Text);
        line.Apply(Key(ConsoleKey.Backspace, '\b')); // nothing left to take
        Assert.Equal("", line.Text);
    }

    [Fact]
    public void Keys_without_a_printable_character_add_nothing()
    {
        var line = new InputLine();
        TypeAll(line, "ab");
        line.Apply(Key(ConsoleKey.LeftArrow));
        line.Apply(Key(ConsoleKey.F1));
        line.Apply(Key(ConsoleKey.Tab, '\t'));
        line.Apply(Key('\u0007'));
        Assert.Equal("ab", line.Text);
    }

    [Fact]
    public void A_line_stops_growing_one_past_the_message_limit_so_it_is_refused_not_cut()
    {
        var line = new InputLine();
        line.Set(new string('x', InputLine.MaxLength - 1));
        TypeAll(line, "yz");
        Assert.Equal(InputLine.MaxLength, line.Text.Length);
        Assert.EndsWith("xy", line.Text);
    }

    [Fact]
    public void The_tail_is_the_end_of_the_line_where_the_typing_is()
    {
        var line = new InputLine();
        TypeAll(line, "abcdefghij");
        Assert.Equal("hij", line.Tail(3));
        Assert.Equal("abcdefghij", line.Tail(20));
    }
}
