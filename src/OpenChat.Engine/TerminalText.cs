using System.Globalization;
using System.Text;

namespace OpenChat.Engine;

/// <summary>
/// The one place that makes text from other people (messages, names, refusal reasons, a server's
/// error text) safe to write to a terminal. A terminal obeys what it is sent: ESC and the other
/// C0 and C1 control characters can clear the screen, move the cursor, recolour or rewrite lines,
/// and a carriage return starts the line over; Unicode bidi controls reorder what is shown. Every
/// such character is replaced by something visible, so the reader sees that it was there:
/// <list type="bullet">
/// <item>C0 controls (U+0000–U+001F) as their control pictures, ESC as <c>␛</c>, CR as <c>␍</c>,
/// LF as <c>␊</c>, tab as <c>␉</c>; DEL as <c>␡</c>;</item>
/// <item>C1 controls (U+0080–U+009F), bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069), line and paragraph separators (U+2028, U+2029) and unpaired surrogates as a
/// <c>\u202e</c>-style escape.</item>
/// </list>
/// Everything else, emoji and combining marks included, is left as it is. The data itself (a
/// message's <c>Text</c>) is never changed: this is applied only where text is shown.
/// </summary>
public static class TerminalText
{
    /// <summary>One line, safe to show: newlines are shown as <c>␊</c> like every other control.</summary>
    public static string Neutralise(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var first = FirstUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                Append(builder, c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// The lines of a multi-line text, each neutralised. Line feeds (and CR LF pairs) separate
    /// lines; a carriage return on its own is a control like any other and stays visible as
    /// <c>␍</c>. A caller shows every line after the first as a continuation (indented under its
    /// sender), so no line of a message can pass for a line of the screen's own.
    /// </summary>
    public static IReadOnlyList<string> Lines(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [""];
        }

        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '\n')
            {
                var end = i > start && text[i - 1] == '\r' && i < text.Length ? i - 1 : i;
                lines.Add(Neutralise(text[start..end]));
                start = i + 1;
            }
        }

        return lines;
    }

    /// <summary>True when <paramref name="text"/> holds nothing that <see cref="Neutralise"/> would change.</summary>
    public static bool IsSafe(string? text) => text is null || FirstUnsafe(text) < 0;

    /// <summary>How many terminal columns a neutralised text takes: wide (East Asian and most
    /// emoji) characters take two, combining marks and format characters none. An estimate where
    /// terminals disagree, so a screen must not rely on it to keep text off its own lines.</summary>
    public static int Width(string text)
    {
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            width += Width(rune);
        }

        return width;
    }

    /// <summary>Splits one neutralised line into pieces of at most <paramref name="columns"/>
    /// columns (at least one character each), preferring to break after a space.</summary>
    public static IReadOnlyList<string> Wrap(string line, int columns)
    {
        columns = Math.Max(1, columns);
        var pieces = new List<string>();
        var start = 0;
        while (start < line.Length)
        {
            var width = 0;
            var end = start;
            var lastSpace = -1;
            while (end < line.Length)
            {
                Rune.DecodeFromUtf16(line.AsSpan(end), out var rune, out var consumed);
                var w = Width(rune);
                if (width + w > columns && end > start)
                {
                    break;
                }

                width += w;
                end += Math.Max(1, consumed);
                if (rune.Value == ' ')
                {
                    lastSpace = end;
                }
            }

            // Break after the last space when the line goes on and that keeps a useful piece.
            if (end < line.Length && lastSpace > start + (end - start) / 2)
            {
                end = lastSpace;
            }

            pieces.Add(line[start..end]);
            start = end;
        }

        if (pieces.Count == 0)
        {
            pieces.Add("");
        }

        return pieces;
    }

    private static int FirstUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (IsUnsafe(c))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsUnsafe(char c) =>
        c < 0x20 || (c >= 0x7F && c <= 0x9F) || IsBidiControl(c) || c is '\u2028' or '\u2029' || char.IsSurrogate(c) || IsInvisible(c);

    /// <summary>Format characters that draw nothing and can hide inside a name ("bob" plus a
    /// zero-width space is another user). The zero-width joiner stays: emoji sequences need it.</summary>
    public static bool IsInvisible(char c) =>
        c is '\u200B' or '\u200C' or '\uFEFF' || (c >= '\u2060' && c <= '\u2064') || (c >= '\u206A' && c <= '\u206F') || (c >= '\uFFF9' && c <= '\uFFFB');

    /// <summary>The explicit directional formatting characters of Unicode's bidi algorithm.</summary>
    public static bool IsBidiControl(char c) =>
        c is '\u061C' or '\u200E' or '\u200F' || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');

    private static void Append(StringBuilder builder, char c)
    {
        if (c < 0x20)
        {
            builder.Append((char)(0x2400 + c)); // ␀ … ␟: ␛ for ESC, ␍ for CR, ␊ for LF
        }
        else if (c == 0x7F)
        {
            builder.Append('\u2421'); // ␡
        }
        else if (IsUnsafe(c))
        {
            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        else
        {
            builder.Append(c);
        }
    }

    private static int Width(Rune rune)
    {
        var value = rune.Value;
        if (value < 0x300)
        {
            return 1;
        }

        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.Format:
                return 0;
        }

        return IsWide(value) ? 2 : 1;
    }

    // East Asian Wide and Fullwidth ranges and the emoji blocks that terminals draw two columns wide.
    private static bool IsWide(int v) =>
        (v >= 0x1100 && v <= 0x115F) || v is 0x231A or 0x231B or 0x2329 or 0x232A or 0x23F0 or 0x23F3 or 0x267F or 0x2693 or 0x26A1
        or 0x26CE or 0x26D4 or 0x26EA or 0x26F5 or 0x26FA or 0x26FD or 0x2705 or 0x2728 or 0x274C or 0x274E or 0x2757 or 0x27B0
        or 0x27BF or 0x2B50 or 0x2B55
        || (v >= 0x23E9 && v <= 0x23EC) || (v >= 0x25FD && v <= 0x25FE) || (v >= 0x2614 && v <= 0x2615) || (v >= 0x2648 && v <= 0x2653)
        || (v >= 0x26AA && v <= 0x26AB) || (v >= 0x26BD && v <= 0x26BE) || (v >= 0x26C4 && v <= 0x26C5) || (v >= 0x26F2 && v <= 0x26F3)
        || (v >= 0x270A && v <= 0x270B) || (v >= 0x2753 && v <= 0x2755) || (v >= 0x2795 && v <= 0x2797) || (v >= 0x2B1B && v <= 0x2B1C)
        || (v >= 0x2E80 && v <= 0x303E) || (v >= 0x3041 && v <= 0x33FF) || (v >= 0x3400 && v <= 0x4DBF) || (v >= 0x4E00 && v <= 0x9FFF)
        || (v >= 0xA000 && v <= 0xA4CF) || (v >= 0xA960 && v <= 0xA97F) || (v >= 0xAC00 && v <= 0xD7A3) || (v >= 0xF900 && v <= 0xFAFF)
        || (v >= 0xFE10 && v <= 0xFE19) || (v >= 0xFE30 && v <= 0xFE6F) || (v >= 0xFF00 && v <= 0xFF60) || (v >= 0xFFE0 && v <= 0xFFE6)
        || (v >= 0x16FE0 && v <= 0x16FE4) || (v >= 0x17000 && v <= 0x18AFF) || (v >= 0x1B000 && v <= 0x1B2FF)
        || v is 0x1F004 or 0x1F0CF or 0x1F18E || (v >= 0x1F191 && v <= 0x1F19A) || (v >= 0x1F200 && v <= 0x1F251)
        || (v >= 0x1F300 && v <= 0x1F64F) || (v >= 0x1F680 && v <= 0x1F6FF) || (v >= 0x1F7E0 && v <= 0x1F7EB)
        || (v >= 0x1F90C && v <= 0x1F9FF) || (v >= 0x1FA70 && v <= 0x1FAFF) || (v >= 0x20000 && v <= 0x3FFFD);
}
