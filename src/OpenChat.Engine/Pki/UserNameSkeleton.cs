using System.Text;

namespace OpenChat.Engine.Pki;

/// <summary>
/// What a user name looks like to a reader, as a string: two names with the same skeleton are
/// look-alikes (<c>a1ice</c>, <c>aIice</c> and <c>alice</c>; <c>b0b</c> and <c>bob</c>;
/// <c>rnallory</c> and <c>mallory</c>), and the CA refuses the second with
/// <see cref="ErrorIds.UserNameConfusable"/>.
/// </summary>
/// <remarks>
/// The table is short because <see cref="UserNamePolicy"/> lets only ASCII letters, digits, '.',
/// '_' and '-' into a name: Unicode look-alikes (Cyrillic 'а', fullwidth letters, combining marks)
/// and characters such as '|' can never occur, so this is not Unicode's confusables list (UTS #39)
/// but the handful of ASCII pairs that common terminal and UI fonts draw alike or nearly alike:
/// <list type="bullet">
/// <item>i, l, 1 read as one stroke; 'I' (capital i) is folded to 'i' first, and a name keeps the
/// case it was given in (the certificate shows "aIice"), so i is in the class, not only I.</item>
/// <item>0 and o; 5 and s.</item>
/// <item>rn reads as m, vv as w, cl as d (the classic kerning confusions).</item>
/// <item>'.', '_' and '-' are all "a separator" to someone recalling a name (bob.smith, bob_smith).</item>
/// </list>
/// Pairs that fonts keep apart well (u/v, 2/z, 8/B, nn/m) are left out: each one added refuses
/// honest names, and the aim is to stop impersonation at a glance, not every misreading.
/// </remarks>
public static class UserNameSkeleton
{
    /// <summary>The skeleton of <paramref name="name"/>: case folded, each confusable character
    /// replaced by its class's representative, then each confusable pair by the letter it looks
    /// like. One pass suffices: the pairs' results (m, w, d) start no pair themselves, and the
    /// single characters are mapped before pairs are looked for, so "c1" and "cI" become "d" too.</summary>
    public static string Of(string name)
    {
        var folded = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            folded.Append(c switch
            {
                'i' or '1' => 'l',
                '0' => 'o',
                '5' => 's',
                '_' or '-' => '.',
                _ => c,
            });
        }

        var skeleton = new StringBuilder(folded.Length);
        for (var i = 0; i < folded.Length; i++)
        {
            var pair = i + 1 < folded.Length ? (folded[i], folded[i + 1]) : (folded[i], '\0');
            var merged = pair switch
            {
                ('r', 'n') => 'm',
                ('v', 'v') => 'w',
                ('c', 'l') => 'd',
                _ => '\0',
            };
            if (merged != '\0')
            {
                skeleton.Append(merged);
                i++;
            }
            else
            {
                skeleton.Append(folded[i]);
            }
        }

        return skeleton.ToString();
    }
}
