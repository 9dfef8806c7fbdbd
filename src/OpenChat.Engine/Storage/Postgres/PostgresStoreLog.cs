using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>Events of the PostgreSQL room log, file store and node registry (3100–3199).</summary>
internal static partial class PostgresStoreLog
{
    [LoggerMessage(EventId = 3100, EventName = "PostgresUnreachable", Level = LogLevel.Warning,
        Message = "The PostgreSQL database {Database} of the {Store} is unreachable")]
    public static partial void Unreachable(ILogger log, Exception exception, string store, string database);
}
