using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Events of file transfers on the client (2580–2589). Never a file's name or key.</summary>
internal static partial class FileLog
{
    [LoggerMessage(EventId = 2580, EventName = "FileTransferInterrupted", Level = LogLevel.Information,
        Message = "The transfer of file {FileId} was interrupted ({ErrorId}); it resumes once the connection is back")]
    public static partial void Interrupted(ILogger log, Guid fileId, string errorId);

    [LoggerMessage(EventId = 2581, EventName = "FileUploaded", Level = LogLevel.Debug,
        Message = "File {FileId} ({Chunks} chunks) uploaded to {Room}")]
    public static partial void Uploaded(ILogger log, Guid fileId, uint chunks, string room);

    [LoggerMessage(EventId = 2582, EventName = "FileDownloadResumed", Level = LogLevel.Debug,
        Message = "The download of file {FileId} resumes at chunk {Chunk} from a partial file")]
    public static partial void DownloadResumed(ILogger log, Guid fileId, uint chunk);

    [LoggerMessage(EventId = 2583, EventName = "FileAttachmentRefused", Level = LogLevel.Information,
        Message = "An attachment in {Room} at {Sequence} was refused: {Reason}")]
    public static partial void AttachmentRefused(ILogger log, string room, ulong sequence, string reason);
}
