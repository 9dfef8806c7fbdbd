namespace OpenChat.Engine.Server.Configuration;

/// <summary>What a configuration value may be written as.</summary>
public enum ConfigurationValueKind
{
    /// <summary>A whole number (an int or long option).</summary>
    Integer,

    /// <summary>Any number (a rate or a burst).</summary>
    Number,

    /// <summary>Seconds as a number, a TimeSpan string ("00:01:30") or a short form (30d, 12h, 90m, 45s).</summary>
    Duration,

    Text,

    /// <summary>A file or folder; relative to the configuration file's folder when written in one.</summary>
    Path,

    IPAddress,

    /// <summary>One of <see cref="ConfigurationKey.Choices"/>, any case.</summary>
    Choice,
}

/// <summary>One line of the key table: its name, what it takes, its range, and where it goes.
/// Keys that are not server options (Path, LogPath, ...) have no <see cref="Apply"/>: the host
/// that starts the server reads them with <see cref="ServerConfiguration.Get{T}"/>.</summary>
public sealed record ConfigurationKey(string Name, ConfigurationValueKind Kind)
{
    /// <summary>Inclusive bounds: the number itself, or a duration's seconds.</summary>
    public double Minimum { get; init; } = double.MinValue;

    public double Maximum { get; init; } = double.MaxValue;

    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Shown masked in the effective configuration (a password inside it is replaced).</summary>
    public bool MayHoldSecret { get; init; }

    /// <summary>Sets the validated value on the options; null for a key the host applies itself.</summary>
    public Action<ChatServerOptions, object>? Apply { get; init; }

    /// <summary>The option's current value, for the effective configuration.</summary>
    public Func<ChatServerOptions, object?>? Read { get; init; }

    /// <summary>The value of a host key nobody set.</summary>
    public object? Default { get; init; }

    /// <summary>The range as a person reads it, for refusals and the docs.</summary>
    public string RangeText => Kind switch
    {
        ConfigurationValueKind.Integer or ConfigurationValueKind.Number => Maximum >= 9e18
            ? $"at least {Minimum:G}"
            : $"from {Minimum:G} to {Maximum:G}",
        ConfigurationValueKind.Duration => Maximum >= 9e18
            ? $"at least {TimeSpan.FromSeconds(Minimum)}"
            : $"from {TimeSpan.FromSeconds(Minimum)} to {TimeSpan.FromSeconds(Maximum)}",
        ConfigurationValueKind.Choice => "one of " + string.Join(", ", Choices),
        _ => "",
    };
}
