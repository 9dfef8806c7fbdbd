using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage;

/// <summary>Events of the message store (3500–3599).</summary>
internal static partial class MessageStoreLog
{
    [LoggerMessage(EventId = 3000, EventName = "MessageStoreUpgraded", Level = LogLevel.Information,
        Message = "The message store at {Path} was upgraded from schema version {From} to {To}")]
    public static partial void Upgraded(ILogger log, string path, int from, int to);
}
