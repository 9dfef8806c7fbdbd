using System.Data.Common;
using System.Text.Json;

namespace OpenChat.Engine.Server.Configuration;

/// <summary>One value of the effective configuration and where it came from.</summary>
public sealed record ConfigurationEntry(string Key, object? Value, string Source);

/// <summary>A validated server configuration: the keys a file set, then the parameters that
/// override them (<see cref="WithOverrides"/>). Everything is checked against
/// <see cref="ServerConfigurationKeys"/> before a server is started, so a bad file starts nothing
/// and its refusal names the key.</summary>
public sealed class ServerConfiguration
{
    public const string FromFile = "file";
    public const string FromParameter = "parameter";
    public const string FromDefault = "default";

    // The password keys are one setting: a password named on the command line replaces the file's.
    private static readonly string[] PasswordKeys = ["CAPasswordFile", "CAPasswordVariable"];

    private readonly Dictionary<string, (object Value, string Source)> _values;

    private ServerConfiguration(string? filePath, Dictionary<string, (object Value, string Source)> values)
    {
        FilePath = filePath;
        _values = values;
    }

    /// <summary>No file: every key at its default until parameters set it.</summary>
    public static ServerConfiguration Empty { get; } = new(null, []);

    /// <summary>The configuration file the values came from, if any.</summary>
    public string? FilePath { get; }

    /// <summary>Validates what a configuration file holds (keys any case); paths in it are taken
    /// relative to the file's folder.</summary>
    public static ServerConfiguration FromValues(IEnumerable<KeyValuePair<string, object?>> values, string filePath)
    {
        var what = $"The configuration file '{filePath}'";
        var read = Validate(values, what, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(filePath)), FromFile);
        OnePasswordSource(read, what);
        return new ServerConfiguration(filePath, read);
    }

    /// <summary>Reads and validates a JSON configuration file: one object of keys.</summary>
    public static ServerConfiguration FromJsonFile(string filePath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(filePath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw Invalid($"The configuration file '{filePath}' is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"The configuration file '{filePath}' must hold one JSON object of keys ({{ \"Port\": 7443, ... }}).");
            }

            var values = document.RootElement.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, Plain(p.Value))).ToList();
            return FromValues(values, filePath);
        }
    }

    /// <summary>This configuration with parameters given on the command line on top.</summary>
    public ServerConfiguration WithOverrides(IEnumerable<KeyValuePair<string, object?>> parameters)
    {
        var overrides = Validate(parameters, "A parameter", null, FromParameter);
        OnePasswordSource(overrides, "The parameters");
        var merged = new Dictionary<string, (object Value, string Source)>(_values, StringComparer.OrdinalIgnoreCase);
        if (overrides.Keys.Any(k => PasswordKeys.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            foreach (var key in PasswordKeys)
            {
                merged.Remove(key);
            }
        }

        foreach (var (key, value) in overrides)
        {
            merged[key] = value;
        }

        return new ServerConfiguration(FilePath, merged);
    }

    public bool IsSet(string key) => _values.ContainsKey(key);

    /// <summary>Where a key's value comes from: <see cref="FromFile"/>, <see cref="FromParameter"/> or <see cref="FromDefault"/>.</summary>
    public string SourceOf(string key) => _values.TryGetValue(key, out var v) ? v.Source : FromDefault;

    /// <summary>A key's value, or its default (the key's own, else <paramref name="fallback"/>).</summary>
    public T? Get<T>(string key, T? fallback = default) =>
        _values.TryGetValue(key, out var v) ? (T)v.Value
        : ServerConfigurationKeys.Find(key)?.Default is T d ? d : fallback;

    /// <summary>Sets every option key that was given on <paramref name="options"/>.</summary>
    public ChatServerOptions ApplyTo(ChatServerOptions options)
    {
        foreach (var key in ServerConfigurationKeys.All)
        {
            if (key.Apply is not null && _values.TryGetValue(key.Name, out var v))
            {
                key.Apply(options, v.Value);
            }
        }

        // A file rate without its own burst gets the burst Start-ChatServer always gave it.
        if (IsSet("FileBytesPerSecond") && !IsSet("FileBytesBurst"))
        {
            options.FileBytesBurst = Math.Min(2.0 * options.FileBytesPerSecond, 32.0 * 1024 * 1024);
        }

        return options;
    }

    /// <summary>Every key with the value the server runs with, secrets masked.</summary>
    public IReadOnlyList<ConfigurationEntry> Effective(ChatServerOptions options) =>
        [.. ServerConfigurationKeys.All.Select(key =>
        {
            var value = key.Read is not null ? key.Read(options) : Get<object>(key.Name);
            if (value is not null && key.MayHoldSecret)
            {
                value = MaskPassword(value.ToString()!);
            }

            return new ConfigurationEntry(key.Name, value, SourceOf(key.Name));
        })];

    /// <summary>A connection string with any password in it replaced by ***.</summary>
    public static string MaskPassword(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var name in builder.Keys.Cast<string>().ToList())
            {
                if (name.Equals("password", StringComparison.OrdinalIgnoreCase) || name.Equals("pwd", StringComparison.OrdinalIgnoreCase))
                {
                    builder[name] = "***";
                }
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            // Not a connection string at all: show nothing of it rather than risk a password.
            return "***";
        }
    }

    private static Dictionary<string, (object Value, string Source)> Validate(
        IEnumerable<KeyValuePair<string, object?>> values, string what, string? baseDirectory, string source)
    {
        var read = new Dictionary<string, (object Value, string Source)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, given) in values)
        {
            var key = ServerConfigurationKeys.Find(name)
                ?? throw Invalid($"{what} has an unknown key '{Safe(name)}'.{Suggestion(name)}");
            if (read.ContainsKey(key.Name))
            {
                throw Invalid($"{what} sets key '{key.Name}' twice.");
            }

            if (given is null)
            {
                throw Invalid($"{what} gives key '{key.Name}' no value; leave the key out for its default.");
            }

            var value = ConfigurationValueReader.Read(key, given, baseDirectory, out var problem);
            if (problem is not null || value is null)
            {
                throw Invalid($"{what}: key '{key.Name}' {problem}.");
            }

            read[key.Name] = (value, source);
        }

        return read;
    }

    private static void OnePasswordSource(Dictionary<string, (object Value, string Source)> values, string what)
    {
        if (PasswordKeys.All(values.ContainsKey))
        {
            throw Invalid($"{what} name two CA passwords (keys 'CAPasswordFile' and 'CAPasswordVariable'): give one.");
        }
    }

    private static string Suggestion(string name)
    {
        var close = name.Length < 3 ? null : ServerConfigurationKeys.All.FirstOrDefault(k =>
            k.Name.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(k.Name, StringComparison.OrdinalIgnoreCase));
        return close is null ? " See docs/operations.md, \"Configuration file\", for the keys." : $" Did you mean '{close.Name}'?";
    }

    private static string Safe(string name) => TerminalText.Neutralise(name.Length > 60 ? name[..60] + "..." : name);

    private static object? Plain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var whole) ? whole : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Array => element.EnumerateArray().Select(Plain).ToList(),
        _ => element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
    };

    private static OpenChatException Invalid(string message, Exception? inner = null) =>
        new(ErrorIds.ConfigurationInvalid, ErrorKind.InvalidArgument, message, inner);
}
