using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>Where a backup or a restore writes: a directory that does not exist yet or is empty,
/// never one with something in it to overwrite or mix with. When the work fails, what this run
/// created is removed again (only that: a file someone else put there meanwhile stays), so a
/// failure leaves the destination as it was.</summary>
internal sealed class BackupDestination
{
    private readonly bool _created;
    private readonly List<string> _files = [];
    private readonly List<string> _folders = [];

    private BackupDestination(string path, bool created)
    {
        Path = path;
        _created = created;
    }

    public string Path { get; }

    /// <exception cref="OpenChatException">BackupDestinationNotEmpty.</exception>
    public static string Check(string destination, string what)
    {
        var path = System.IO.Path.GetFullPath(destination);
        if (File.Exists(path) || (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()))
        {
            throw new OpenChatException(ErrorIds.BackupDestinationNotEmpty, ErrorKind.AlreadyExists,
                $"'{path}' already exists and is not an empty directory; {what} goes only into a new or empty directory, so that nothing is overwritten or mixed in. Give a new path.");
        }

        return path;
    }

    /// <summary>Checks, then creates the directory (owner-only) if it does not exist. An existing
    /// empty directory must be one others cannot write into (on Unix: not group- or
    /// other-writable, and the current user's, which changing its mode to owner-only proves).</summary>
    /// <exception cref="OpenChatException">BackupDestinationNotEmpty.</exception>
    public static BackupDestination Open(string destination, string what)
    {
        var path = Check(destination, what);
        var created = !Directory.Exists(path);
        if (!created && !OperatingSystem.IsWindows())
        {
            MakeOwnerOnly(path, what);
        }

        SecureFile.CreateDirectory(path);
        return new BackupDestination(path, created);
    }

    /// <summary>Creates the folders above <paramref name="file"/> (a path inside the destination)
    /// that are missing, remembering each for <see cref="Discard"/>.</summary>
    public void PrepareFolders(string file)
    {
        var missing = new Stack<string>();
        for (var folder = System.IO.Path.GetDirectoryName(file)!; folder.Length > Path.Length && !Directory.Exists(folder); folder = System.IO.Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
        }

        foreach (var folder in missing)
        {
            SecureFile.CreateDirectory(folder);
            _folders.Add(folder);
        }
    }

    /// <summary>Remembers a file this run created (exclusively) for <see cref="Discard"/>.</summary>
    public void Created(string file) => _files.Add(file);

    /// <summary>Removes the files and folders this run created (a folder only once it is empty),
    /// and the directory itself if this run created it and nothing else is in it.</summary>
    public void Discard(ILogger log)
    {
        try
        {
            foreach (var file in _files)
            {
                // A database's journals (of a copy cut short, or the WAL a restore switches on)
                // belong to that file.
                foreach (var path in new[] { file, file + "-journal", file + "-wal", file + "-shm" })
                {
                    File.Delete(path);
                }
            }

            var folders = _folders.OrderByDescending(f => f.Length).ToList();
            if (_created)
            {
                folders.Add(Path);
            }

            foreach (var folder in folders.Where(f => Directory.Exists(f) && !Directory.EnumerateFileSystemEntries(f).Any()))
            {
                Directory.Delete(folder, recursive: false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the caller reports the failure that brought it here.
            log.Failed(e, "backup.discard");
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void MakeOwnerOnly(string path, string what)
    {
        const UnixFileMode othersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        var refusal = $"'{path}' is a directory others can write into (or not yours); {what} holds keys and goes only into a new directory or an empty one that is yours alone (chmod 700). Give a new path.";
        if ((File.GetUnixFileMode(path) & othersWrite) != 0)
        {
            throw new OpenChatException(ErrorIds.BackupDestinationNotEmpty, ErrorKind.AlreadyExists, refusal);
        }

        try
        {
            // Only the owner may change a mode, so this both proves ownership and closes it.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new OpenChatException(ErrorIds.BackupDestinationNotEmpty, ErrorKind.AlreadyExists, refusal, e);
        }
    }
}
