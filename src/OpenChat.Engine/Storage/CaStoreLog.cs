using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage;

/// <summary>Events of the CA store (storage range, 3500s: the message store has the 3000s below).</summary>
internal static partial class CaStoreLog
{
    [LoggerMessage(EventId = 3500, EventName = "CaStoreSchemaUpgraded", Level = LogLevel.Information,
        Message = "The CA store at {Path} was upgraded from schema version {From} to {To}")]
    public static partial void SchemaUpgraded(ILogger log, string path, int from, int to);
}
