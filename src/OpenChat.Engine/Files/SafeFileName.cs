using System.Text;

namespace OpenChat.Engine.Files;

/// <summary>
/// Turns the name a sender announced into a name that is safe to create in a chosen directory:
/// no path (separators of any platform, "..", a drive), no control or invisible characters, no
/// name reserved by Windows, no leading dot (hidden) or dash (read as an option), no trailing
/// dot or space, bounded length. The result is always one plain file name; a caller still
/// checks that the full path it builds stays under the destination (<see cref="PathUnder"/>).
/// </summary>
public static class SafeFileName
{
    public const string Fallback = "attachment";

    private const int MaxLength = 200;

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    public static string Sanitise(string? announced)
    {
        // Only the last path segment counts: "../../evil" is "evil", "C:\x\y.txt" is "y.txt".
        var name = announced ?? "";
        var cut = name.LastIndexOfAny(['/', '\\']);
        if (cut >= 0)
        {
            name = name[(cut + 1)..];
        }

        var colon = name.LastIndexOf(':');
        if (colon >= 0)
        {
            name = name[(colon + 1)..]; // a drive ("C:evil") or an NTFS stream ("a.txt:hidden")
        }

        var builder = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            var c = rune.Value;
            var unsafeChar = Rune.IsControl(rune) || c is '<' or '>' or '"' or '|' or '?' or '*'
                || (c <= char.MaxValue && (TerminalText.IsInvisible((char)c) || TerminalText.IsBidiControl((char)c)))
                || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                    or System.Globalization.UnicodeCategory.ParagraphSeparator or System.Globalization.UnicodeCategory.PrivateUse
                    or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.OtherNotAssigned;
            builder.Append(unsafeChar ? "_" : rune.ToString());
        }

        name = builder.ToString().Trim().TrimEnd('.', ' ').TrimStart('.', '-', ' ');
        if (name.Length > MaxLength)
        {
            var extension = Path.GetExtension(name);
            extension = extension.Length is > 0 and <= 16 ? extension : "";
            name = name[..(MaxLength - extension.Length)].TrimEnd('.', ' ') + extension;
        }

        var stem = name.Split('.')[0].TrimEnd(' ');
        if (Reserved.Contains(stem))
        {
            name = "_" + name;
        }

        return name.Length == 0 ? Fallback : name;
    }

    /// <summary>The full path of <paramref name="fileName"/> in <paramref name="directory"/>, or
    /// an exception if it would lie anywhere else (a last line against a name that escaped).</summary>
    public static string PathUnder(string directory, string fileName)
    {
        var root = Path.GetFullPath(directory);
        var full = Path.GetFullPath(Path.Combine(root, fileName));
        var prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
            || !string.Equals(Path.GetDirectoryName(full), Path.TrimEndingDirectorySeparator(root), StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.FileNameInvalid, ErrorKind.PolicyViolation,
                $"The attachment's name would be saved outside '{root}'; it was not saved.");
        }

        return full;
    }

    /// <summary>"name.ext", else "name (2).ext", "name (3).ext", ...: the first that does not exist.</summary>
    public static string Unused(string directory, string fileName)
    {
        var path = PathUnder(directory, fileName);
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var extension = Path.GetExtension(fileName);
        for (var n = 2; File.Exists(path) || Directory.Exists(path); n++)
        {
            path = PathUnder(directory, $"{stem} ({n}){extension}");
        }

        return path;
    }
}
