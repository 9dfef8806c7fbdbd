using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Tests.Unit.Text;

/// <summary>Every class of character a terminal would obey instead of show (issue 9, item 6).</summary>
public class TerminalTextTests
{
    [Theory]
    [InlineData("\u001b[2J", "␛[2J")] // clear screen
    [InlineData("\u001b[31mred\u001b[0m", "␛[31mred␛[0m")] // colours
    [InlineData("\u001b]0;title\u0007", "␛]0;title␇")] // OSC: window title, ended by BEL
    [InlineData("ok\rbob: fake", "ok␍bob: fake")] // carriage return rewrites the line
    [InlineData("a\nb", "a␊b")]
    [InlineData("a\tb", "a␉b")]
    [InlineData("\0\u0001\u0008\u001f", "␀␁␈␟")]
    [InlineData("\u007f", "␡")]
    public void C0_controls_and_delete_become_control_pictures(string text, string shown) =>
        Assert.Equal(shown, TerminalText.Neutralise(text));

    [Theory]
    [InlineData("\u009b2J", "\\u009b2J")] // the one-byte CSI
    [InlineData("\u0085", "\\u0085")] // next line
    [InlineData("\u0080\u009f", "\\u0080\\u009f")]
    public void C1_controls_become_escapes(string text, string shown) =>
        Assert.Equal(shown, TerminalText.Neutralise(text));

    [Theory]
    [InlineData('\u202A')]
    [InlineData('\u202B')]
    [InlineData('\u202C')]
    [InlineData('\u202D')]
    [InlineData('\u202E')]
    [InlineData('\u2066')]
    [InlineData('\u2067')]
    [InlineData('\u2068')]
    [InlineData('\u2069')]
    [InlineData('\u200E')]
    [InlineData('\u200F')]
    [InlineData('\u061C')]
    [InlineData('\u2028')]
    [InlineData('\u2029')]
    public void Bidi_controls_and_separators_become_escapes(char c)
    {
        var shown = TerminalText.Neutralise($"pay {c}txt.exe");
        Assert.Equal($"pay \\u{(int)c:x4}txt.exe", shown);
        Assert.DoesNotContain(c, shown);
    }

    [Fact]
    public void Unpaired_surrogates_become_escapes_and_pairs_stay()
    {
        Assert.Equal("a\\ud800b", TerminalText.Neutralise("a\ud800b"));
        Assert.Equal("x\\udc00", TerminalText.Neutralise("x\udc00"));
        Assert.Equal("😀 ok", TerminalText.Neutralise("😀 ok"));
    }

    [Theory]
    [InlineData("plain text, ASCII")]
    [InlineData("accents: é à ü ñ, Grüße")]
    [InlineData("中文 日本語 한국어")]
    [InlineData("emoji 👍🏽 👩‍👩‍👧 ✓ · — ✗")]
    [InlineData("combining: e\u0301 a\u0308")]
    [InlineData("زبان فارسی עברית")] // right-to-left text itself is not a control
    [InlineData("")]
    public void Ordinary_text_is_left_exactly_as_it_is(string text)
    {
        Assert.Same(text, TerminalText.Neutralise(text));
        Assert.True(TerminalText.IsSafe(text));
    }

    [Fact]
    public void Nothing_a_terminal_obeys_is_left_in_any_character()
    {
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var shown = TerminalText.Neutralise(((char)c).ToString());
            foreach (var s in shown)
            {
                Assert.False(s < 0x20 || (s >= 0x7F && s <= 0x9F) || TerminalText.IsBidiControl(s) || char.IsSurrogate(s) || s is '\u2028' or '\u2029',
                    $"U+{c:X4} is shown as U+{(int)s:X4}");
            }
        }
    }

    [Theory]
    [InlineData("bob\u200b", "bob\\u200b")] // zero-width space: another "bob"
    [InlineData("b\u2060ob", "b\\u2060ob")] // word joiner
    [InlineData("\ufeffbob", "\\ufeffbob")] // byte order mark
    [InlineData("a\u206ab", "a\\u206ab")] // deprecated format character
    [InlineData("a\ufff9b", "a\\ufff9b")] // interlinear annotation
    public void Invisible_format_characters_are_shown_as_escapes(string text, string shown) =>
        Assert.Equal(shown, TerminalText.Neutralise(text));

    [Fact]
    public void The_zero_width_joiner_of_an_emoji_sequence_is_kept() =>
        Assert.Equal("👩\u200d💻", TerminalText.Neutralise("👩\u200d💻"));

    [Fact]
    public void A_null_is_shown_as_nothing() => Assert.Equal("", TerminalText.Neutralise(null));

    [Fact]
    public void Lines_split_at_line_feeds_and_crlf_and_keep_a_lone_carriage_return_visible()
    {
        Assert.Equal(["one", "two", "three"], TerminalText.Lines("one\ntwo\r\nthree"));
        Assert.Equal(["a␍12:00 · bob: fake"], TerminalText.Lines("a\r12:00 · bob: fake"));
        Assert.Equal(["end␍"], TerminalText.Lines("end\r"));
        Assert.Equal(["x", ""], TerminalText.Lines("x\n"));
        Assert.Equal([""], TerminalText.Lines(""));
        Assert.Equal(["␛[2J", "\\u202eevil"], TerminalText.Lines("\u001b[2J\n\u202eevil"));
    }

    [Fact]
    public void Width_counts_wide_characters_twice_and_marks_not_at_all()
    {
        Assert.Equal(5, TerminalText.Width("hello"));
        Assert.Equal(4, TerminalText.Width("中文"));
        Assert.Equal(2, TerminalText.Width("👍"));
        Assert.Equal(1, TerminalText.Width("e\u0301"));
        Assert.Equal(1, TerminalText.Width("␛"));
    }

    [Fact]
    public void Wrap_keeps_every_piece_within_the_width_and_loses_nothing()
    {
        var line = string.Concat(Enumerable.Repeat("word 中文 👍 ", 40));
        var pieces = TerminalText.Wrap(line, 17);
        Assert.Equal(line, string.Concat(pieces));
        Assert.All(pieces, p => Assert.InRange(TerminalText.Width(p), 1, 17));
        Assert.Equal(["abc", "def", "g"], TerminalText.Wrap("abcdefg", 3));
        Assert.Equal(["hello ", "world"], TerminalText.Wrap("hello world", 8));
        Assert.Equal([""], TerminalText.Wrap("", 10));
    }

    [Fact]
    public void Error_text_that_echoes_a_name_uses_the_same_neutraliser()
    {
        var e = Assert.Throws<OpenChatException>(() => UserNamePolicy.Validate("bad\u001b[2Jname"));
        Assert.Contains("bad␛[2Jname", e.Message);
        Assert.DoesNotContain('\u001b', e.Message);
    }
}
