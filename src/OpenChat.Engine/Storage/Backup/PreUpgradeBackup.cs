using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Diagnostics;

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
    private readonly Action<SqliteConnection, string> _copy;

    /// <param name="path">The database file that may be migrated.</param>
    public PreUpgradeBackup(string path, ILogger? log = null, TimeProvider? time = null)
        : this(path, log, time, (connection, target) => SqliteOnlineBackup.Copy(connection, target))
    {
    }

    /// <param name="copy">Writes the copy (a test's failing disk).</param>
    internal PreUpgradeBackup(string path, ILogger? log, TimeProvider? time, Action<SqliteConnection, string> copy)
    {
        _path = Path.GetFullPath(path);
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _copy = copy;
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
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{CopyStem}{from}-");
        string? partial = null;
        try
        {
            SecureFile.CreateDirectory(folder);
            // A migration that fails on every start would otherwise add a full copy each time,
            // until the disk is full: a copy of this file at this version that still holds what
            // the file holds is the copy.
            if (Existing(connection, folder, from) is { } existing)
            {
                BackupLog.PreUpgradeBackupKept(_log, _path, from, to, existing);
                return existing;
            }

            // Written under a temporary name and renamed once complete, so a copy cut short (a
            // full disk) never sits under a name that looks like a good one.
            partial = Path.Combine(folder, ".partial-" + prefix + Guid.NewGuid().ToString("N") + ".db");
            _copy(connection, partial);
            var target = Path.Combine(folder, prefix + stamp + ".db");
            for (var n = 2; ; n++)
            {
                try
                {
                    // Fails if the name exists (another copy of the same second): take the next.
                    File.Move(partial, target, overwrite: false);
                    break;
                }
                catch (IOException) when (File.Exists(target) && n < 1000)
                {
                    target = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{prefix}{stamp}-{n}.db"));
                }
            }

            partial = null;
            BackupLog.PreUpgradeBackupTaken(_log, _path, from, to, target);
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            Remove(partial);
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                $"'{_path}' has schema version {from} and needs an upgrade to {to}, but the copy to keep before upgrading could not be saved in '{folder}' ({e.Message}); the file was not changed. Free space or fix the folder's permissions, then start again.", e);
        }
        catch
        {
            Remove(partial);
            throw;
        }
    }

    /// <summary>The newest complete copy named for this file, at this version or an older one,
    /// whose rows are the file's rows now (after a failed migration, nothing changed; if the
    /// older OpenChat ran on since, the file changed and a new copy is due). An older version
    /// counts: when the first of several steps committed and a later one failed, the file is
    /// one version on but holds what the copy holds.</summary>
    private string? Existing(SqliteConnection connection, string folder, int from)
    {
        var candidates = Directory.GetFiles(folder, CopyStem + "*.db")
            .Where(c => CopyVersion(Path.GetFileName(c)) is { } version && version <= from)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var now = SqliteContentHash.Of(connection);
        foreach (var candidate in candidates)
        {
            try
            {
                using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = candidate, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
                copy.Open();
                if (SqliteContentHash.Of(copy) == now)
                {
                    return candidate;
                }
            }
            catch (SqliteException e)
            {
                // Not a database (damaged, or put there by hand): not the copy; a new one is made.
                _log.Failed(e, "backup.pre-upgrade.existing");
            }
        }

        return null;
    }

    /// <summary>What every copy of this file is named from: pre-upgrade-NAME-v, then the
    /// version, a dash and the time.</summary>
    private string CopyStem => $"pre-upgrade-{Path.GetFileNameWithoutExtension(_path)}-v";

    /// <summary>The version in a copy's name (pre-upgrade-NAME-vN-TIME.db), or null.</summary>
    private int? CopyVersion(string fileName)
    {
        var start = CopyStem.Length;
        var end = fileName.IndexOf('-', start);
        return end > start && int.TryParse(fileName.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    private void Remove(string? partial)
    {
        if (partial is null)
        {
            return;
        }

        try
        {
            File.Delete(partial);
            File.Delete(partial + "-journal");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Failed(e, "backup.pre-upgrade.remove");
        }
    }

    private static bool HasTables(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table';";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }
}
