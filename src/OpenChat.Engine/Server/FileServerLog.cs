using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Server;

/// <summary>Events of the server's file side (1580–1589): ids, users, rooms and sizes; what the
/// server knows of a file, never more.</summary>
internal static partial class FileServerLog
{
    [LoggerMessage(EventId = 1580, EventName = "FileUploadBegun", Level = LogLevel.Debug,
        Message = "{User} began upload {FileId} of {Size} bytes to {Room}")]
    public static partial void UploadBegun(ILogger log, Guid fileId, string user, string room, ulong size);

    [LoggerMessage(EventId = 1581, EventName = "FileIncompleteDeleted", Level = LogLevel.Information,
        Message = "{Count} uploads never completed were deleted")]
    public static partial void IncompleteDeleted(ILogger log, int count);
}
