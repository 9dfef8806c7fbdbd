using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>
/// Puts a backup made by <see cref="ServerBackup"/> into a new or empty directory, which a server
/// can then start on. The backup is checked against its manifest before anything is written
/// (every listed file present with its size and hash, nothing unlisted, no path leading outside),
/// and each file is hashed again as it is copied, so a backup that changes meanwhile is caught
/// too. A refused or failed restore leaves the destination as it was.
/// </summary>
public sealed class ServerRestore
{
    private readonly ILogger _log;

    public ServerRestore(ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
    }

    /// <exception cref="OpenChatException">BackupInvalid, BackupDestinationNotEmpty, BackupFailed.</exception>
    public BackupResult Restore(string backupDirectory, string destination, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var backup = Path.GetFullPath(backupDirectory);
        if (!Directory.Exists(backup))
        {
            throw BackupManifest.Invalid(backup, "there is no such directory");
        }

        // The destination is checked first (it costs nothing), created only once the backup passed.
        BackupDestination.Check(destination, "a restore");
        BackupManifest manifest;
        try
        {
            manifest = BackupManifest.Read(backup);
            Verify(backup, manifest);
        }
        catch (OpenChatException e)
        {
            BackupLog.BackupRefused(_log, backup, e.ErrorId, e.Message);
            throw;
        }

        var target = BackupDestination.Open(destination, "a restore");
        // A server started on the destination meanwhile would find it bare and make a new CA
        // there, mixed with the restored files: it finds the directory locked instead (the
        // server's own lock, removed when the restore ends).
        var serverLock = new FileStream(System.IO.Path.Combine(target.Path, Server.ChatServer.LockFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        try
        {
            for (var i = 0; i < manifest.Files.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var file = manifest.Files[i];
                progress?.Report(new BackupProgress(file.Path, i, manifest.Files.Count));
                var to = BackupTree.Resolve(target.Path, file.Path)!;
                target.PrepareFolders(to);
                var copied = BackupTree.CopyHashed(BackupTree.Resolve(backup, file.Path)!, to, target.Created);
                if (copied != (file.Size, file.Sha256))
                {
                    throw BackupManifest.Invalid(backup, $"'{file.Path}' changed while it was being restored");
                }
            }

            // A backup's databases are self-contained files (rollback journal); the stores run in
            // WAL mode, which a reader of the CA store does not switch on by itself.
            foreach (var database in manifest.Files.Where(f => ServerBackup.IsDatabase(f.Path)))
            {
                UseWal(Path.Combine(target.Path, database.Path));
            }

            progress?.Report(new BackupProgress(BackupManifest.FileName, manifest.Files.Count, manifest.Files.Count));
            BackupLog.BackupRestored(_log, backup, target.Path, manifest.Files.Count);
            return new BackupResult(target.Path, manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            serverLock.Dispose();
            target.Discard(_log);
            throw new OpenChatException(ErrorIds.BackupFailed, ErrorKind.Unavailable,
                $"Restoring '{backup}' into '{target.Path}' failed and what was written was removed: {e.Message}", e);
        }
        catch
        {
            serverLock.Dispose();
            target.Discard(_log);
            throw;
        }
        finally
        {
            serverLock.Dispose();
        }
    }

    /// <summary>The backup holds exactly the manifest's files with their sizes and hashes.</summary>
    /// <exception cref="OpenChatException">BackupInvalid, naming the first file that does not match.</exception>
    public static void Verify(string backupDirectory, BackupManifest manifest)
    {
        var backup = Path.GetFullPath(backupDirectory);
        var links = new List<string>();
        var present = BackupTree.Files(backup, links: links).Where(f => f != BackupManifest.FileName).ToHashSet(StringComparer.Ordinal);
        if (links.Count > 0)
        {
            throw BackupManifest.Invalid(backup, $"it holds a symbolic link ('{links[0]}'), which a backup never has");
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            if (file?.Path is null || file.Sha256 is null || BackupTree.Resolve(backup, file.Path) is null)
            {
                throw BackupManifest.Invalid(backup, $"its manifest names a path that is not inside the backup ('{file?.Path}')");
            }

            if (!listed.Add(file.Path))
            {
                throw BackupManifest.Invalid(backup, $"its manifest lists '{file.Path}' twice");
            }

            if (!present.Contains(file.Path))
            {
                throw BackupManifest.Invalid(backup, $"'{file.Path}', listed in its manifest, is missing");
            }
        }

        if (present.FirstOrDefault(f => !listed.Contains(f)) is { } extra)
        {
            throw BackupManifest.Invalid(backup, $"it holds '{extra}', which its manifest does not list");
        }

        foreach (var file in manifest.Files)
        {
            if (BackupTree.Hash(BackupTree.Resolve(backup, file.Path)!) != (file.Size, file.Sha256))
            {
                throw BackupManifest.Invalid(backup, $"'{file.Path}' does not match its manifest (it was changed or damaged after the backup)");
            }
        }
    }

    private static void UseWal(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}
