namespace OpenChat.Engine.Protocol;

/// <summary>
/// The rooms a mistyped name was probably meant to be: the nearest by edit distance (a swap of
/// two neighbours counts as one edit), at most <see cref="MaxSuggestions"/>, and only those close
/// enough to be a typo of it. Only well-formed room names are ever suggested: the list comes from
/// a server, and a name that is not one is not repeated to the user.
/// </summary>
public static class RoomSuggestions
{
    public const int MaxSuggestions = 3;

    /// <summary>The candidates nearest to <paramref name="name"/>, nearest first (ties by name).</summary>
    public static IReadOnlyList<string> Nearest(string name, IEnumerable<string> candidates)
    {
        var allowed = MaxDistance(name.Length);
        return candidates
            .Where(c => RoomNames.IsValid(c) && !string.Equals(c, name, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            // Cheap first: names whose lengths differ by more than the allowance cannot be close.
            .Where(c => Math.Abs(c.Length - name.Length) <= allowed)
            .Select(c => (Name: c, Distance: Distance(name, c)))
            .Where(x => x.Distance <= allowed)
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .Take(MaxSuggestions)
            .Select(x => x.Name)
            .ToList();
    }

    /// <summary>"There is no room 'opss'. Did you mean: ops?" (the second sentence only with suggestions).</summary>
    public static string Describe(string name, IReadOnlyList<string> suggestions)
    {
        var shown = RoomNames.IsValid(name) ? name : Pki.UserNamePolicy.Printable(name);
        return suggestions.Count == 0
            ? $"There is no room '{shown}'."
            : $"There is no room '{shown}'. Did you mean: {string.Join(", ", suggestions)}?";
    }

    // Short names tolerate one edit: with more, "ops" would suggest every three-letter room.
    private static int MaxDistance(int length) => length switch
    {
        <= 4 => 1,
        <= 8 => 2,
        _ => 3,
    };

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and
    /// swaps of two neighbouring characters, each costing one.</summary>
    internal static int Distance(string a, string b)
    {
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, previous2[j - 2] + 1);
                }

                current[j] = best;
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }
}
