using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>Events of backups, restores and the backup taken before a schema upgrade
/// (3501–3519; 3500 is the CA store's upgrade).</summary>
internal static partial class BackupLog
{
    [LoggerMessage(EventId = 3501, EventName = "PreUpgradeBackupTaken", Level = LogLevel.Information,
        Message = "Before upgrading {Path} from schema version {From} to {To}, a copy was saved at {BackupPath}")]
    public static partial void PreUpgradeBackupTaken(ILogger log, string path, int from, int to, string backupPath);

    [LoggerMessage(EventId = 3502, EventName = "BackupCreated", Level = LogLevel.Information,
        Message = "The data directory {Path} was backed up to {Destination}: {Files} files, {Bytes} bytes")]
    public static partial void BackupCreated(ILogger log, string path, string destination, int files, long bytes);

    [LoggerMessage(EventId = 3503, EventName = "BackupRestored", Level = LogLevel.Information,
        Message = "The backup {Path} was restored into {Destination}: {Files} files")]
    public static partial void BackupRestored(ILogger log, string path, string destination, int files);

    [LoggerMessage(EventId = 3504, EventName = "BackupRefused", Level = LogLevel.Warning,
        Message = "The backup {Path} was not restored ({ErrorId}): {Reason}")]
    public static partial void BackupRefused(ILogger log, string path, string errorId, string reason);

    [LoggerMessage(EventId = 3505, EventName = "PreUpgradeBackupKept", Level = LogLevel.Information,
        Message = "Before upgrading {Path} from schema version {From} to {To}, the copy saved earlier at {BackupPath} still holds what the file holds; no new copy was made")]
    public static partial void PreUpgradeBackupKept(ILogger log, string path, int from, int to, string backupPath);
}
