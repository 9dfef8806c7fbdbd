using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace OpenChat.Cmdlets.Pki;

/// <summary>Lets a TimeSpan parameter take the short forms admins type (<c>30d</c>, <c>12h</c>,
/// <c>10m</c>, <c>90s</c>, <c>2w</c>) besides what PowerShell binds itself ("30.00:00:00", a
/// TimeSpan object). Anything else passes through unchanged, so PowerShell's own conversion
/// still reports what it cannot read.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed partial class FriendlyTimeSpanAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) => Convert(inputData);

    /// <summary>The TimeSpan a short form names, or the input as given.</summary>
    public static object? Convert(object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not string text)
        {
            return inputData;
        }

        var match = ShortForm().Match(text);
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return inputData;
        }

        try
        {
            return char.ToLowerInvariant(match.Groups["unit"].Value[0]) switch
            {
                'w' => TimeSpan.FromDays(checked(count * 7)),
                'd' => TimeSpan.FromDays(count),
                'h' => TimeSpan.FromHours(count),
                'm' => TimeSpan.FromMinutes(count),
                _ => TimeSpan.FromSeconds(count),
            };
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new ArgumentTransformationMetadataException($"'{text}' is too long a time span.", e);
        }
    }

    [GeneratedRegex(@"^\s*(?<n>\d{1,9})\s*(?<unit>[wdhms])\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ShortForm();
}
