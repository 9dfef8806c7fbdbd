using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>
/// The copy of a server database taken just before its schema is migrated forward:
/// <c>&lt;data&gt;/backups/pre-upgrade-&lt;file&gt;-v&lt;from&gt;-&lt;UTC time&gt;.db</c>, through
/// the online backup API. A migration rewrites tables in place and an older OpenChat cannot read
/// the result, so going back after an upgrade needs the file as it was; if the copy cannot be
/// made, the file is not migrated.
/// </summary>
public sealed class PreUpgradeBackup
{
    /// <summary>The folder of the data directory that holds these copies (never backed up itself).</summary>
    public const string DirectoryName = "backups";

    private readonly string _path;
    private readonly ILogger _log;
    private readonly TimeProvider _time;

    /// <param name="path">The database file that may be migrated.</param>
    public PreUpgradeBackup(string path, ILogger? log = null, TimeProvider? time = null)
    {
        _path = Path.GetFullPath(path);
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Saves a copy when the file holds an older schema than <paramref name="to"/>: a
    /// version above 0, or version 0 with tables (messages.db before it was versioned). A new,
    /// empty file has nothing to keep. Returns the copy's path, or null when none was needed.</summary>
    /// <exception cref="OpenChatException">StoreUnavailable: the copy could not be made; the
    /// database was not changed.</exception>
    public string? TakeIfNeeded(SqliteConnection connection, int from, int to)
    {
        if (from >= to || (from == 0 && !HasTables(connection)))
        {
            return null;
        }

        var folder = Path.Combine(Path.GetDirectoryName(_path)!, DirectoryName);
        var stamp = _time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var name = string.Create(CultureInfo.InvariantCulture, $"pre-upgrade-{Path.GetFileNameWithoutExtension(_path)}-v{from}-{stamp}");
        try
        {
            SecureFile.CreateDirectory(folder);
            var target = Path.Combine(folder, name + ".db");
            for (var n = 2; File.Exists(target); n++)
            {
                target = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{name}-{n}.db"));
            }

            SqliteOnlineBackup.Copy(connection, target);
            BackupLog.PreUpgradeBackupTaken(_log, _path, from, to, target);
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                $"'{_path}' has schema version {from} and needs an upgrade to {to}, but the copy to keep before upgrading could not be saved in '{folder}' ({e.Message}); the file was not changed. Free space or fix the folder's permissions, then start again.", e);
        }
    }

    private static bool HasTables(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table';";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }
}
