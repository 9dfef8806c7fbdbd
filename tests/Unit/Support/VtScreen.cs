using System.Globalization;
using System.Text;
using OpenChat.Engine;

namespace OpenChat.Tests.Unit.Support;

/// <summary>
/// A small VT terminal for tests: it obeys what the chat screen writes (cursor position, clearing
/// the screen or a line, the scroll region, saving and restoring the cursor, autowrap, line feed)
/// and keeps the characters on screen, as tmux capture-pane shows them. Colours are ignored.
/// Anything else that reaches it (another escape sequence, a raw control character) is kept in
/// <see cref="Unexpected"/>, so a test sees text that would have been obeyed.
/// </summary>
public sealed class VtScreen
{
    private string[][] _cells = [];
    private int _row;
    private int _col;
    private int _top;
    private int _bottom;
    private (int Row, int Col) _saved;

    public VtScreen(int width, int height) => Resize(width, height);

    public int Width { get; private set; }

    public int Height { get; private set; }

    public bool Autowrap { get; private set; } = true;

    /// <summary>True while a scroll region smaller than the screen is set.</summary>
    public bool HasScrollRegion => _top != 0 || _bottom != Height - 1;

    /// <summary>Characters that met the right edge with autowrap off and were drawn over the last
    /// column: a row the chat measured wider than the window.</summary>
    public int CutCharacters { get; private set; }

    /// <summary>Escape sequences and control characters this terminal does not know (the chat's own are all known).</summary>
    public List<string> Unexpected { get; } = [];

    /// <summary>A new size, as when the window is resized: what fits stays, the scroll region goes.</summary>
    public void Resize(int width, int height)
    {
        var old = _cells;
        _cells = [.. Enumerable.Range(0, height).Select(r => Enumerable.Range(0, width).Select(c => r < old.Length && c < old[r].Length ? old[r][c] : " ").ToArray())];
        (Width, Height) = (width, height);
        (_top, _bottom) = (0, height - 1);
        (_row, _col) = (Math.Min(_row, height - 1), Math.Min(_col, width - 1));
    }

    /// <summary>A row as shown, without trailing blanks.</summary>
    public string Row(int index) => string.Concat(_cells[index]).TrimEnd();

    public IReadOnlyList<string> Rows => [.. Enumerable.Range(0, Height).Select(Row)];

    public override string ToString() => string.Join('\n', Rows);

    public void Feed(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            var c = text[i];
            if (c == '\u001b')
            {
                i = Escape(text, i);
            }
            else if (c == '\n')
            {
                _col = 0; // a terminal's output processing turns a line feed into CR LF
                LineFeed();
                i++;
            }
            else if (c == '\r')
            {
                _col = 0;
                i++;
            }
            else if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
            {
                Unexpected.Add($"U+{(int)c:X4}");
                i++;
            }
            else
            {
                Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed);
                Put(rune.ToString());
                i += Math.Max(1, consumed);
            }
        }
    }

    private int Escape(string text, int at)
    {
        if (at + 1 >= text.Length || text[at + 1] != '[')
        {
            Unexpected.Add(at + 1 < text.Length ? $"ESC {text[at + 1]}" : "ESC");
            return at + 1;
        }

        var end = at + 2;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is ';' or '?'))
        {
            end++;
        }

        if (end >= text.Length)
        {
            Unexpected.Add("unfinished CSI");
            return end;
        }

        var parameters = text[(at + 2)..end];
        var numbers = parameters.TrimStart('?').Split(';').Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
        int Number(int index, int fallback) => index < numbers.Length && numbers[index] > 0 ? numbers[index] : fallback;
        switch (text[end], parameters)
        {
            case ('H', _):
                (_row, _col) = (Math.Clamp(Number(0, 1), 1, Height) - 1, Math.Clamp(Number(1, 1), 1, Width) - 1);
                break;
            case ('J', "2"):
                foreach (var row in _cells)
                {
                    Array.Fill(row, " ");
                }

                break;
            case ('K', "2"):
                Array.Fill(_cells[_row], " ");
                break;
            case ('r', _):
                (_top, _bottom) = parameters.Length == 0 ? (0, Height - 1) : (Number(0, 1) - 1, Math.Min(Height, Number(1, Height)) - 1);
                (_row, _col) = (0, 0); // setting the region homes the cursor
                break;
            case ('s', ""):
                _saved = (_row, _col);
                break;
            case ('u', ""):
                (_row, _col) = _saved;
                break;
            case ('m', _):
                break;
            case ('h' or 'l', "?7"):
                Autowrap = text[end] == 'h';
                break;
            default:
                Unexpected.Add($"CSI {parameters}{text[end]}");
                break;
        }

        return end + 1;
    }

    private void Put(string character)
    {
        var width = TerminalText.Width(character);
        if (width == 0)
        {
            var previous = Math.Max(0, _col - 1);
            _cells[_row][previous] += character; // a combining mark joins the character before it
            return;
        }

        if (_col + width > Width)
        {
            if (Autowrap)
            {
                _col = 0;
                LineFeed();
            }
            else
            {
                CutCharacters++;
                _col = Width - width;
            }
        }

        _cells[_row][_col] = character;
        if (width == 2)
        {
            _cells[_row][_col + 1] = "";
        }

        _col += width;
    }

    private void LineFeed()
    {
        if (_row == _bottom)
        {
            for (var r = _top; r < _bottom; r++)
            {
                _cells[r] = _cells[r + 1];
            }

            _cells[_bottom] = [.. Enumerable.Repeat(" ", Width)];
        }
        else if (_row < Height - 1)
        {
            _row++;
        }
    }
}
