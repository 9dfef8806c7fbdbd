using System.Text;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// The chat screen's layout on a VT terminal: messages scroll in a region above a status line
/// and an input line (ANSI scroll regions, so it works in any VT terminal and under tmux). It
/// keeps the entries shown, so it can draw them again for a new size or rewrite one in place.
/// </summary>
/// <remarks>
/// The screen wraps lines itself (the terminal's own wrapping is off) and indents every line of
/// an entry after its first under the sender, so only the screen's own lines start at the left
/// edge: no text in a message can pass for a line from someone else.
/// </remarks>
internal sealed class ChatScreen(IChatConsole console)
{
    internal const string Esc = "\u001b[";

    private const int MaxEntries = 1000;
    private const int DropAtOnce = 200;

    private readonly List<Entry> _entries = [];
    // Entries dropped from the front so far: an entry's number stays valid while it is kept.
    private long _dropped;
    private int _width;
    private int _height;
    private string _status = "";

    /// <summary>One item of the screen: <see cref="Prefix"/> is the screen's own (time, badge,
    /// sender: already safe, with its colours), <see cref="Body"/> is raw text from anyone, shown
    /// neutralised, in <see cref="Style"/> (an SGR parameter) when given.</summary>
    internal sealed record Entry(string Prefix, string Body, int PrefixWidth = 0, string? Style = null);

    /// <summary>The line being typed, drawn at the bottom.</summary>
    public InputLine Input { get; } = new();

    /// <summary>True when the terminal is no longer the size the screen was laid out for.</summary>
    public bool Resized => console.WindowWidth != _width || console.WindowHeight != _height;

    /// <summary>Clears the terminal and draws everything for its current size.</summary>
    public void Layout(string status)
    {
        _width = Math.Max(20, console.WindowWidth);
        _height = Math.Max(5, console.WindowHeight);
        // Autowrap off: the screen wraps lines itself, and a line it measured too short is cut
        // at the edge instead of continuing at the left edge of the next line.
        console.Write($"{Esc}?7l{Esc}2J{Esc}1;{_height - 2}r");
        // Drawn against the bottom of the region, where Show adds the next row: drawn from the top,
        // the next rows would scroll the oldest ones away while blank rows stayed below them.
        var (visible, _) = Visible();
        var top = _height - 2 - visible.Count;
        for (var i = 0; i < visible.Count; i++)
        {
            console.Write($"{Esc}{top + i + 1};1H{Esc}2K{visible[i]}");
        }

        _status = "";
        DrawStatus(status);
        DrawInput();
    }

    /// <summary>Writes an entry at the bottom of the scroll region (the terminal scrolls the rest
    /// up) and returns its number, for <see cref="Replace"/>.</summary>
    public long Show(Entry entry)
    {
        _entries.Add(entry);
        if (_entries.Count > MaxEntries)
        {
            _entries.RemoveRange(0, DropAtOnce);
            _dropped += DropAtOnce;
        }

        foreach (var row in Rows(entry))
        {
            console.Write($"{Esc}{_height - 2};1H\n{Esc}2K{row}");
        }

        DrawInput();
        return _dropped + _entries.Count - 1;
    }

    /// <summary>
    /// Rewrites an entry already shown (a pending line once its message was sent) in place: the
    /// message region is drawn again from its newest entry up, as <see cref="Layout"/> does.
    /// </summary>
    public void Replace(long number, Entry entry)
    {
        var index = number - _dropped;
        if (index < 0 || index >= _entries.Count)
        {
            return;
        }

        _entries[(int)index] = entry;
        var (visible, first) = Visible();
        if (index < first)
        {
            return; // scrolled out of sight
        }

        var bottom = _height - 2;
        var redraw = new StringBuilder();
        for (var row = 1; row <= bottom; row++)
        {
            var at = visible.Count - 1 - (bottom - row);
            redraw.Append($"{Esc}{row};1H{Esc}2K").Append(at >= 0 ? visible[at] : "");
        }

        console.Write(redraw.ToString());
        DrawInput();
    }

    /// <summary>Draws the status line (reversed, cut to the width) when its text changed.</summary>
    public void DrawStatus(string status)
    {
        status = TerminalText.Neutralise(status);
        if (status == _status)
        {
            return;
        }

        _status = status;
        var text = status.Length > _width ? status[.._width] : status.PadRight(_width);
        console.Write($"{Esc}s{Esc}{_height - 1};1H{Esc}7m{text}{Esc}0m{Esc}u");
        DrawInput();
    }

    /// <summary>Draws the input line; a line longer than the screen shows its end.</summary>
    public void DrawInput() =>
        console.Write($"{Esc}{_height};1H{Esc}2K> {TerminalText.Neutralise(Input.Tail(_width - 3))}");

    /// <summary>Gives the terminal back as it was: autowrap on, no scroll region, the cursor
    /// below the screen.</summary>
    public void Restore() => console.Write($"{Esc}?7h{Esc}r{Esc}{_height};1H\n");

    /// <summary>
    /// The screen rows of an entry at <paramref name="width"/> columns. The first row starts with
    /// the prefix; every further row, whether the body had a line break there or just went on, is
    /// indented by the prefix's width (at most a third of the screen, at least two columns), so
    /// the left edge belongs to the screen alone.
    /// </summary>
    internal static List<string> Rows(Entry entry, int width)
    {
        var indent = Math.Max(2, Math.Min(entry.PrefixWidth, width / 3));
        var pad = new string(' ', indent);
        var (open, close) = entry.Style is null ? ("", "") : ($"{Esc}{entry.Style}m", $"{Esc}0m");
        var lines = TerminalText.Lines(entry.Body);
        var head = TerminalText.Wrap(lines[0], width - entry.PrefixWidth)[0];
        var rows = new List<string> { $"{entry.Prefix}{open}{head}{close}" };
        var rest = lines.Skip(1).Prepend(lines[0][head.Length..]).ToList();
        for (var i = 0; i < rest.Count; i++)
        {
            if (i == 0 && rest[0].Length == 0)
            {
                continue; // the first line fitted on the first row
            }

            rows.AddRange(TerminalText.Wrap(rest[i], width - indent).Select(piece => $"{pad}{open}{piece}{close}"));
        }

        return rows;
    }

    private List<string> Rows(Entry entry) => Rows(entry, _width);

    // The rows that fill the message region, newest at the bottom, and the oldest entry with a
    // row among them (perhaps only its last rows).
    private (List<string> Rows, int First) Visible()
    {
        var bottom = _height - 2;
        var rows = new List<string>();
        var first = _entries.Count;
        for (var i = _entries.Count - 1; i >= 0 && rows.Count < bottom; i--)
        {
            rows.InsertRange(0, Rows(_entries[i]));
            first = i;
        }

        return (rows.Skip(Math.Max(0, rows.Count - bottom)).ToList(), first);
    }
}
