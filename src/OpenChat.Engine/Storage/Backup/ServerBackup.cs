using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>
/// A backup of a server's data directory, safe while the server runs (in this process or
/// another): each SQLite database through the online backup API (a consistent snapshot that holds
/// every transaction committed before its copy began), every other file (the CA's and the
/// server's certificates and keys, the CRL, the recorded database, a rollover's files) copied
/// as it is, owner-only, and last a manifest with the hash of each. Each database is its own
/// snapshot: they are taken one after the other, not at one instant.
/// </summary>
public sealed class ServerBackup
{
    private readonly ILogger _log;
    private readonly TimeProvider _time;

    public ServerBackup(ILogger? log = null, TimeProvider? time = null)
    {
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The OpenChat version a manifest records.</summary>
    public static string OpenChatVersion =>
        typeof(ServerBackup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ServerBackup).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Backs up <paramref name="dataDirectory"/> into <paramref name="destination"/> (new or empty).</summary>
    /// <exception cref="OpenChatException">BackupSourceInvalid, BackupDestinationNotEmpty, BackupFailed.</exception>
    public BackupResult Create(string dataDirectory, string destination, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var source = Path.GetFullPath(dataDirectory);
        if (!File.Exists(Path.Combine(source, CaDirectory.CertificateFile)))
        {
            throw new OpenChatException(ErrorIds.BackupSourceInvalid, ErrorKind.NotFound,
                $"'{source}' is not an OpenChat data directory (it has no {CaDirectory.CertificateFile}); give the -Path the server was started with.");
        }

        var target = BackupDestination.Open(destination, "a backup");
        try
        {
            var files = Plan(source, target.Path);
            var entries = new List<BackupFile>(files.Count);
            for (var i = 0; i < files.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new BackupProgress(files[i], i, files.Count));
                entries.Add(Copy(source, target, files[i]));
            }

            var manifest = new BackupManifest(BackupManifest.CurrentFormat, OpenChatVersion, _time.GetUtcNow(), source,
                DeploymentDatabase.Read(source) is null ? BackupManifest.SqliteDatabase : BackupManifest.PostgresDatabase, entries);
            // Written last: a backup cut short has no manifest, and a restore refuses it.
            SecureFile.WriteAllBytes(Path.Combine(target.Path, BackupManifest.FileName), manifest.ToJson());
            target.Created(Path.Combine(target.Path, BackupManifest.FileName));
            progress?.Report(new BackupProgress(BackupManifest.FileName, files.Count, files.Count));
            BackupLog.BackupCreated(_log, source, target.Path, entries.Count, entries.Sum(e => e.Size));
            return new BackupResult(target.Path, manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            target.Discard(_log);
            throw new OpenChatException(ErrorIds.BackupFailed, ErrorKind.Unavailable,
                $"The backup of '{source}' into '{target.Path}' failed and was removed: {e.Message}", e);
        }
        catch
        {
            target.Discard(_log);
            throw;
        }
    }

    /// <summary>A database is any top-level *.db (messages.db, openchat.db, files.db).</summary>
    public static bool IsDatabase(string relativePath) =>
        !relativePath.Contains('/', StringComparison.Ordinal) && relativePath.EndsWith(".db", StringComparison.Ordinal);

    private static List<string> Plan(string source, string destination)
    {
        var inside = Path.GetRelativePath(source, destination).Replace(Path.DirectorySeparatorChar, '/');
        var links = new List<string>();
        var files = BackupTree.Files(source, directory => directory == PreUpgradeBackup.DirectoryName || directory == inside, links)
            .Where(file => !Transient(file))
            .ToList();
        // A link is never followed, so skipping it would silently leave out what it points to
        // (messages.db moved to another disk and linked back: a backup without rooms).
        if (links.FirstOrDefault(link => !Transient(link)) is { } link)
        {
            throw new OpenChatException(ErrorIds.BackupSourceInvalid, ErrorKind.InvalidData,
                $"'{Path.Combine(source, link)}' is a symbolic link; a backup does not follow links, so what it points to would be left out. Replace the link with the file (or mount the other disk at the data directory), then back up again.");
        }

        return files;
    }

    // What belongs to a running process, not to the data: the server's lock, SQLite's journals
    // beside a database (its snapshot holds their content), a half-written temporary file.
    private static bool Transient(string file) =>
        file == Server.ChatServer.LockFile
        || (!file.Contains('/', StringComparison.Ordinal)
            && (file.EndsWith(".db-wal", StringComparison.Ordinal) || file.EndsWith(".db-shm", StringComparison.Ordinal)
                || file.EndsWith(".db-journal", StringComparison.Ordinal)))
        || file.Contains(".tmp-", StringComparison.Ordinal);

    private static BackupFile Copy(string source, BackupDestination destination, string file)
    {
        var from = Path.Combine(source, file);
        var to = Path.Combine(destination.Path, file);
        destination.PrepareFolders(to);
        if (IsDatabase(file))
        {
            var version = SqliteOnlineBackup.Copy(from, to, destination.Created);
            var (size, sha) = BackupTree.Hash(to);
            return new BackupFile(file, size, sha, version);
        }

        var copied = BackupTree.CopyHashed(from, to, destination.Created);
        return new BackupFile(file, copied.Size, copied.Sha256);
    }
}
