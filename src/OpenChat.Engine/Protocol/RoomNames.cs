using System.Text.RegularExpressions;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Protocol;

/// <summary>
/// Room names: 1 to 48 characters, lower-case ASCII letters, digits, '.', '_' and '-',
/// starting with a letter or digit (so "#ops" is refused, not silently changed). Capitals are
/// not refused but folded first (<see cref="Normalize"/>, on both sides): "Ops" is the room "ops".
/// Direct-message rooms are named "@alice+bob" from the two normalized user names in order;
/// the '@' can never start a room name, so nobody can create or squat a DM room by name.
/// </summary>
public static partial class RoomNames
{
    public const int MaxLength = 48;
    public const string DirectPrefix = "@";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,47}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool IsValid(string? name) => name is not null && Shape().IsMatch(name);

    /// <summary>The name with ASCII capitals made small, everything else left for
    /// <see cref="Validate"/> to judge. Only A-Z is folded: a culture's or Unicode's folding would
    /// turn look-alikes into real names (the Kelvin sign 'K' lower-cases to 'k').</summary>
    public static string Normalize(string name)
    {
        if (!name.AsSpan().ContainsAnyInRange('A', 'Z'))
        {
            return name;
        }

        return string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= 'A' and <= 'Z' ? (char)(source[i] + ('a' - 'A')) : source[i];
            }
        });
    }

    public static bool IsDirect(string name) => name.StartsWith(DirectPrefix, StringComparison.Ordinal);

    public static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw new OpenChatException(ErrorIds.RoomNameInvalid, ErrorKind.InvalidArgument,
                $"'{UserNamePolicy.Printable(name)}' is not a valid room name. Use 1 to {MaxLength} letters (capitals are made small), digits, '.', '_' or '-', starting with a letter or digit.");
        }
    }

    public static string Direct(string userA, string userB)
    {
        var a = UserNamePolicy.Normalize(userA);
        var b = UserNamePolicy.Normalize(userB);
        return string.CompareOrdinal(a, b) <= 0 ? $"{DirectPrefix}{a}+{b}" : $"{DirectPrefix}{b}+{a}";
    }

    /// <summary>The two members a direct room was named after.</summary>
    public static (string A, string B) DirectMembers(string room)
    {
        var plus = room.IndexOf('+');
        return (room[DirectPrefix.Length..plus], room[(plus + 1)..]);
    }
}
