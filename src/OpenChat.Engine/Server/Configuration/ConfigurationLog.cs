using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Server.Configuration;

/// <summary>The configuration's events (1510–1519: RoomLog holds 1500–1508). Key names only, never values: a value can
/// hold a password (the Database connection string).</summary>
public static partial class ConfigurationLog
{
    [LoggerMessage(EventId = 1510, EventName = "ConfigurationApplied", Level = LogLevel.Information,
        Message = "Starting with the configuration file {ConfigurationPath}; keys set by the file: {FileKeys}; by parameters: {ParameterKeys}")]
    public static partial void ConfigurationApplied(this ILogger log, string configurationPath, string fileKeys, string parameterKeys);

    /// <summary>Logs which keys the file and the parameters set (the rest are defaults).</summary>
    public static void Applied(this ILogger log, ServerConfiguration configuration)
    {
        string Keys(string source) => string.Join(", ", ServerConfigurationKeys.All.Where(k => configuration.SourceOf(k.Name) == source).Select(k => k.Name));
        log.ConfigurationApplied(configuration.FilePath ?? "(none)", Keys(ServerConfiguration.FromFile), Keys(ServerConfiguration.FromParameter));
    }
}
