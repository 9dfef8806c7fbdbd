using System.Text.RegularExpressions;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Protocol;

/// <summary>
/// Room names: 1 to 48 characters, lower-case ASCII letters, digits, '.', '_' and '-',
/// starting with a letter or digit (so "#ops" and "Ops" are refused, not silently changed).
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

    public static bool IsDirect(string name) => name.StartsWith(DirectPrefix, StringComparison.Ordinal);

    public static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw new OpenChatException(ErrorIds.RoomNameInvalid, ErrorKind.InvalidArgument,
                $"'{UserNamePolicy.Printable(name)}' is not a valid room name. Use 1 to {MaxLength} lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
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
