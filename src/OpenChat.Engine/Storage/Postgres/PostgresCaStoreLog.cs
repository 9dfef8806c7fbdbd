using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>Events of the PostgreSQL CA store (storage range, 3560s).</summary>
internal static partial class PostgresCaStoreLog
{
    [LoggerMessage(EventId = 3560, EventName = "CaDatabaseRetried", Level = LogLevel.Warning,
        Message = "The CA store lost its connection to PostgreSQL database {Database} during {Operation} before committing anything; retrying once on a new connection")]
    public static partial void Retried(ILogger log, Exception exception, string database, string operation);

    [LoggerMessage(EventId = 3561, EventName = "CaDatabaseCreated", Level = LogLevel.Information,
        Message = "A certificate authority was created in PostgreSQL database {Database}")]
    public static partial void Created(ILogger log, string database);

    [LoggerMessage(EventId = 3562, EventName = "CaDatabaseArchived", Level = LogLevel.Information,
        Message = "The certificate authority of PostgreSQL database {Database} was moved into schema {Schema}")]
    public static partial void Archived(ILogger log, string database, string schema);
}
