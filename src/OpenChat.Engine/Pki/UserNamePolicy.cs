using System.Text.RegularExpressions;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The one rule for user names, applied wherever a name enters the system (certificates,
/// invites, later room membership). A name is 2 to 32 characters: ASCII letters, digits, '.',
/// '_' and '-', starting with a letter and ending with a letter or digit. Names are compared
/// case-insensitively (the store keeps the lower-case form), so "Alice" and "alice" are the same
/// person. Reserved names would let someone pose as the system itself.
/// </summary>
public static partial class UserNamePolicy
{
    public const int MinLength = 2;
    public const int MaxLength = 32;

    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "admin", "administrator", "all", "ca", "channel", "everyone", "here", "localhost",
        "moderator", "nobody", "null", "openchat", "operator", "postmaster", "root", "security",
        "server", "service", "support", "system", "sysop",
    };

    [GeneratedRegex("^[A-Za-z](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    /// <summary>The form used for uniqueness checks and lookups.</summary>
    public static string Normalize(string name) => name.ToLowerInvariant();

    /// <summary>Throws <see cref="OpenChatException"/> unless <paramref name="name"/> may be
    /// given to a person.</summary>
    public static void Validate(string? name)
    {
        if (Refusal(name) is { } refusal)
        {
            throw refusal;
        }
    }

    public static bool IsValid(string? name) => Refusal(name) is null;

    /// <summary>The refusal of a name that another valid client certificate already holds.</summary>
    public static OpenChatException Taken(string name) =>
        new(ErrorIds.UserNameTaken, ErrorKind.AlreadyExists,
            $"'{name}' already holds a valid certificate. Revoke it first, or pass -AdditionalDevice to issue a second certificate (another device of the same person).");

    /// <summary>The refusal of a name that reads like <paramref name="existing"/>, another user's
    /// name (<see cref="UserNameSkeleton"/>). Both names are echoed neutralised: either may come
    /// from a store written before this check existed.</summary>
    public static OpenChatException Confusable(string name, string existing, bool serverName = false) =>
        new(ErrorIds.UserNameConfusable, ErrorKind.PolicyViolation, serverName
            ? $"'{Printable(name)}' looks like this server's name '{Printable(existing)}' (names are compared with i, l and 1, o and 0, rn and m, and the like taken as the same), so people could take the user for the server. Choose a name that reads differently."
            : $"'{Printable(name)}' looks like the existing user '{Printable(existing)}' (names are compared with i, l and 1, o and 0, rn and m, and the like taken as the same), so people could mistake one for the other. Choose a name that reads differently; if this is '{Printable(existing)}' on another device, use that exact name (with -AdditionalDevice).");

    // Built, not thrown, so that IsValid answers without an exception to catch.
    private static OpenChatException? Refusal(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length < MinLength || name.Length > MaxLength || !Shape().IsMatch(name))
        {
            return new OpenChatException(ErrorIds.UserNameInvalid, ErrorKind.InvalidArgument,
                $"'{Printable(name)}' is not a valid user name. Use {MinLength} to {MaxLength} ASCII letters, digits, '.', '_' or '-', starting with a letter and ending with a letter or digit.");
        }

        if (Reserved.Contains(Normalize(name)))
        {
            return new OpenChatException(ErrorIds.UserNameReserved, ErrorKind.PolicyViolation,
                $"'{name}' is reserved and cannot be given to a user. Choose another name.");
        }

        return null;
    }

    /// <summary>Makes a rejected name safe to echo in an error (neutralised like all text for a terminal, bounded).</summary>
    internal static string Printable(string? name)
    {
        if (name is null)
        {
            return "";
        }

        var cleaned = TerminalText.Neutralise(name.Length > 64 ? name[..64] : name);
        return name.Length > 64 ? cleaned + "…" : cleaned;
    }
}
