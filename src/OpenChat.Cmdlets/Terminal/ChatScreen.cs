using System.Text;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// The chat screen's layout on a VT terminal: messages scroll in a region above a status line
/// and an input line (ANSI scroll regions, so it works in any VT terminal and under tmux). It
/// keeps the entries shown (<see cref="EntryList"/>) and draws from them: again for a new size,
/// to rewrite one in place, and to scroll back and forward (PageUp, PageDown, End) while new
/// entries wait below without moving the view.
/// </summary>
/// <remarks>
/// The screen wraps lines itself (the terminal's own wrapping is off) and indents every line of
/// an entry after its first under the sender, so only the screen's own lines start at the left
/// edge: no text in a message can pass for a line from someone else.
/// </remarks>
internal sealed class ChatScreen(IChatConsole console)
{
    internal const string Esc = "\u001b[";

    private readonly EntryList _entries = new();
    private int _width;
    private int _height;
    private string _status = "";
    private string _drawnStatus = "";
    // While scrolled back: the entry and row shown on the bottom row of the message region
    // (null when live, following the newest). New entries then wait below, counted.
    private (long Entry, int Row)? _anchor;
    private int _newBelow;

    /// <summary>One item of the screen: <see cref="Prefix"/> is the screen's own (time, badge,
    /// sender: already safe, with its colours), <see cref="Body"/> is raw text from anyone, shown
    /// neutralised, in <see cref="Style"/> (an SGR parameter) when given.</summary>
    internal sealed record Entry(string Prefix, string Body, int PrefixWidth = 0, string? Style = null);

    /// <summary>The line being typed, drawn at the bottom.</summary>
    public InputLine Input { get; } = new();

    /// <summary>Entries older than the oldest held, asked for when PageUp goes past it: given how
    /// many may be added, it returns them oldest first (none when there are no more).</summary>
    public Func<int, IReadOnlyList<Entry>>? Older { get; set; }

    /// <summary>True when the terminal is no longer the size the screen was laid out for.</summary>
    public bool Resized => console.WindowWidth != _width || console.WindowHeight != _height;

    /// <summary>True while PageUp has moved the view off the newest entries.</summary>
    public bool ScrolledBack => _anchor is not null;

    private int Region => _height - 2;

    /// <summary>Clears the terminal and draws everything for its current size, from the entries
    /// held (wrapped again for the new width).</summary>
    public void Layout(string status)
    {
        _width = Math.Max(20, console.WindowWidth);
        _height = Math.Max(5, console.WindowHeight);
        // Autowrap off: the screen wraps lines itself, and a line it measured too short is cut
        // at the edge instead of continuing at the left edge of the next line.
        console.Write($"{Esc}?7l{Esc}2J{Esc}1;{_height - 2}r");
        if (_anchor is { } anchor)
        {
            _anchor = (anchor.Entry, Math.Min(anchor.Row, RowCount(anchor.Entry) - 1)); // the entry may wrap to fewer rows now
        }

        Redraw();
        _status = status;
        _drawnStatus = "";
        DrawStatus(status);
    }

    /// <summary>Adds an entry and returns its number, for <see cref="Replace"/>. Live, it is
    /// written at the bottom of the scroll region (the terminal scrolls the rest up); scrolled
    /// back, the view stays where it is and the status line counts it.</summary>
    public long Show(Entry entry)
    {
        var number = _entries.Add(entry);
        if (_anchor is { } anchor)
        {
            if (!_entries.Holds(anchor.Entry))
            {
                _anchor = (_entries.First, 0); // what was in view was dropped: the oldest kept instead
                Redraw();
            }

            _newBelow++;
            DrawStatus(_status);
            return number;
        }

        foreach (var row in _entries.Rows(number, _width))
        {
            console.Write($"{Esc}{_height - 2};1H\n{Esc}2K{row}");
        }

        DrawInput();
        return number;
    }

    /// <summary>
    /// Rewrites an entry already shown (a pending line once its message was sent) in place: the
    /// message region is drawn again, as <see cref="Layout"/> does.
    /// </summary>
    public void Replace(long number, Entry entry)
    {
        if (_entries.Replace(number, entry))
        {
            Redraw();
        }
    }

    /// <summary>Forgets every entry (another room is opened) and shows the newest again.</summary>
    public void Clear()
    {
        _entries.Clear();
        (_anchor, _newBelow) = (null, 0);
        Redraw();
        DrawStatus(_status);
    }

    /// <summary>Scrolls back a screen (less one row, kept for context); past the oldest entry
    /// held, asks <see cref="Older"/> for more.</summary>
    public void PageUp()
    {
        if (_entries.Count == 0)
        {
            LoadOlder();
            return;
        }

        var (target, _) = Move(_anchor ?? LastRow, -Math.Max(1, Region - 1));
        if (Move(target, -(Region - 1)).Short > 0 && LoadOlder())
        {
            (target, _) = Move(_anchor ?? LastRow, -Math.Max(1, Region - 1));
        }

        ShowUpTo(target);
    }

    /// <summary>Scrolls forward a screen; reaching the newest entry goes live again.</summary>
    public void PageDown()
    {
        if (_anchor is not { } anchor)
        {
            return;
        }

        var (target, @short) = Move(anchor, Math.Max(1, Region - 1));
        ShowUpTo(@short > 0 ? LastRow : target);
    }

    /// <summary>Back to the newest entries, live.</summary>
    public void End()
    {
        if (_anchor is not null)
        {
            ShowUpTo(LastRow);
        }
    }

    /// <summary>Scrolls so that entry <paramref name="number"/> is on the top row, when the
    /// entries from it on do not fit on one screen (the start of what is unread, say).</summary>
    public void ScrollTo(long number)
    {
        if (_entries.Holds(number))
        {
            ShowUpTo(Move((number, 0), Region - 1).At);
        }
    }

    /// <summary>Draws the status line (reversed, cut to the width) when its text changed; while
    /// scrolled back it starts by saying so, with how many entries arrived below.</summary>
    public void DrawStatus(string status)
    {
        _status = status;
        var note = _anchor is null ? "" : _newBelow > 0 ? $" SCROLLED BACK: {_newBelow} new below, End returns |" : " SCROLLED BACK: End returns |";
        var text = note + TerminalText.Neutralise(status);
        if (text == _drawnStatus)
        {
            return;
        }

        _drawnStatus = text;
        text = text.Length > _width ? text[.._width] : text.PadRight(_width);
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

    private int RowCount(long number) => _entries.Rows(number, _width).Count;

    private (long Entry, int Row) LastRow => (_entries.Last, RowCount(_entries.Last) - 1);

    // A row position moved by delta rows (negative: up), stopped at the first or last row held;
    // Short says by how many rows it fell short.
    private ((long Entry, int Row) At, int Short) Move((long Entry, int Row) at, int delta)
    {
        var (entry, row) = (at.Entry, at.Row + delta);
        while (row < 0)
        {
            if (entry == _entries.First)
            {
                return ((entry, 0), -row);
            }

            row += RowCount(--entry);
        }

        while (row >= RowCount(entry))
        {
            if (entry == _entries.Last)
            {
                var last = RowCount(entry) - 1;
                return ((entry, last), row - last);
            }

            row -= RowCount(entry++);
        }

        return ((entry, row), 0);
    }

    // Puts the given row on the bottom row of the region: at least a screenful below the oldest
    // row (no blank rows at the top while scrolled back), and live when it is the newest.
    private void ShowUpTo((long Entry, int Row) bottom)
    {
        if (Move(bottom, -(Region - 1)).Short > 0)
        {
            bottom = Move((_entries.First, 0), Region - 1).At;
        }

        var live = bottom.CompareTo(LastRow) >= 0;
        _anchor = live ? null : bottom;
        if (live)
        {
            _newBelow = 0;
        }

        Redraw();
        DrawStatus(_status);
    }

    private bool LoadOlder()
    {
        if (Older is null || _entries.Free == 0)
        {
            return false;
        }

        var older = Older(_entries.Free);
        if (older.Count == 0)
        {
            return false;
        }

        var wasEmpty = _entries.Count == 0;
        _entries.Prepend(older);
        if (wasEmpty)
        {
            Redraw();
        }

        return true;
    }

    // Draws the message region from the entries: the rows up to the bottom one (the newest when
    // live) against the bottom of the region, where Show adds the next row: drawn from the top,
    // the next rows would scroll the oldest ones away while blank rows stayed below them.
    private void Redraw()
    {
        var rows = new List<string>();
        if (_entries.Count > 0)
        {
            var (entry, row) = _anchor ?? LastRow;
            var own = _entries.Rows(entry, _width);
            rows.AddRange(own.Take(row + 1));
            while (rows.Count < Region && entry > _entries.First)
            {
                rows.InsertRange(0, _entries.Rows(--entry, _width));
            }
        }

        var visible = rows.Skip(Math.Max(0, rows.Count - Region)).ToList();
        var redraw = new StringBuilder();
        for (var row = 1; row <= Region; row++)
        {
            var at = visible.Count - 1 - (Region - row);
            redraw.Append($"{Esc}{row};1H{Esc}2K").Append(at >= 0 ? visible[at] : "");
        }

        console.Write(redraw.ToString());
        DrawInput();
    }
}
