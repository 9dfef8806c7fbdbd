using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace OpenChat.Engine.Server.Configuration;

/// <summary>Turns what a file or a parameter gave for a key into the key's type, or says in words
/// why it cannot (the caller adds the key and the file). Strict on purpose: "500" is no number
/// and 1.5 is no count, so a typo is refused instead of guessed at.</summary>
internal static partial class ConfigurationValueReader
{
    /// <summary>The typed value; <paramref name="problem"/> is null when it was read.</summary>
    public static object? Read(ConfigurationKey key, object value, string? baseDirectory, out string? problem)
    {
        problem = null;
        switch (key.Kind)
        {
            case ConfigurationValueKind.Integer:
                if (!TryInteger(value, out var whole))
                {
                    problem = $"takes a whole number, {Describe(value)}";
                    return null;
                }

                return InRange(key, whole, out problem) ? whole : null;
            case ConfigurationValueKind.Number:
                if (!TryNumber(value, out var number))
                {
                    problem = $"takes a number, {Describe(value)}";
                    return null;
                }

                return InRange(key, number, out problem) ? number : null;
            case ConfigurationValueKind.Duration:
                if (!TryDuration(value, out var span))
                {
                    problem = $"takes a time span (seconds as a number, \"00:01:30\", or 30d, 12h, 90m, 45s), {Describe(value)}";
                    return null;
                }

                return InRange(key, span.TotalSeconds, out problem) ? span : null;
            case ConfigurationValueKind.IPAddress:
                if (value is IPAddress address)
                {
                    return address;
                }

                if (value is string text && IPAddress.TryParse(text.Trim(), out var parsed))
                {
                    return parsed;
                }

                problem = $"takes an IP address such as 127.0.0.1, 0.0.0.0 or ::, {Describe(value)}";
                return null;
            case ConfigurationValueKind.Choice:
                var choice = value is string name ? key.Choices.FirstOrDefault(c => string.Equals(c, name.Trim(), StringComparison.OrdinalIgnoreCase)) : null;
                if (choice is null)
                {
                    problem = $"takes {key.RangeText}, {Describe(value)}";
                }

                return choice;
            default:
                if (value is not string str || str.Trim().Length == 0)
                {
                    problem = $"takes a non-empty string, {Describe(value)}";
                    return null;
                }

                // "-" is standard output (LogPath), not a file next to the configuration.
                return key.Kind == ConfigurationValueKind.Path && baseDirectory is not null && str != "-"
                    ? System.IO.Path.GetFullPath(str, baseDirectory)
                    : str;
        }
    }

    private static bool InRange(ConfigurationKey key, double value, out string? problem)
    {
        problem = value >= key.Minimum && value <= key.Maximum ? null : $"is {value.ToString(CultureInfo.InvariantCulture)}, out of range: it takes {key.RangeText}";
        return problem is null;
    }

    private static bool TryInteger(object value, out long result)
    {
        switch (value)
        {
            case int or long or short or byte or sbyte or ushort or uint:
                result = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                return true;
            case double or float or decimal:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                result = d >= long.MinValue && d <= long.MaxValue && d == Math.Floor(d) ? (long)d : 0;
                return d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue;
            default:
                result = 0;
                return false;
        }
    }

    private static bool TryNumber(object value, out double result)
    {
        var numeric = value is int or long or short or byte or sbyte or ushort or uint or ulong or double or float or decimal;
        result = numeric ? Convert.ToDouble(value, CultureInfo.InvariantCulture) : 0;
        return numeric && double.IsFinite(result);
    }

    private static bool TryDuration(object value, out TimeSpan result)
    {
        result = default;
        if (value is TimeSpan span)
        {
            result = span;
            return true;
        }

        if (TryNumber(value, out var seconds))
        {
            if (Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return false;
            }

            result = TimeSpan.FromSeconds(seconds);
            return true;
        }

        if (value is not string text)
        {
            return false;
        }

        var match = ShortForm().Match(text);
        if (match.Success)
        {
            var count = long.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
            result = char.ToLowerInvariant(match.Groups["unit"].Value[0]) switch
            {
                'w' => TimeSpan.FromDays(count * 7),
                'd' => TimeSpan.FromDays(count),
                'h' => TimeSpan.FromHours(count),
                'm' => TimeSpan.FromMinutes(count),
                _ => TimeSpan.FromSeconds(count),
            };
            return true;
        }

        return TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out result);
    }

    private static string Describe(object value) => value switch
    {
        string s => $"not the string \"{Shorten(s)}\"",
        bool b => $"not {(b ? "true" : "false")}",
        System.Collections.IDictionary => "not a table",
        System.Collections.IEnumerable => "not a list",
        _ => $"not {Convert.ToString(value, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
    };

    private static string Shorten(string s) => TerminalText.Neutralise(s.Length > 40 ? s[..40] + "..." : s);

    [GeneratedRegex(@"^\s*(?<n>\d{1,7})\s*(?<unit>[wdhms])\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ShortForm();
}
