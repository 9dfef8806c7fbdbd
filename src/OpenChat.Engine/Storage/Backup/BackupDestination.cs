using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>Where a backup or a restore writes: a directory that does not exist yet or is empty,
/// never one with something in it to overwrite or mix with. Whatever was written is removed
/// again when the work fails, so a failure leaves the destination as it was.</summary>
internal sealed class BackupDestination
{
    private readonly bool _created;

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

    /// <summary>Checks, then creates the directory (owner-only) if it does not exist.</summary>
    public static BackupDestination Open(string destination, string what)
    {
        var path = Check(destination, what);
        var created = !Directory.Exists(path);
        SecureFile.CreateDirectory(path);
        return new BackupDestination(path, created);
    }

    /// <summary>Removes everything written (and the directory, if it was created here).</summary>
    public void Discard(ILogger log)
    {
        try
        {
            if (_created)
            {
                Directory.Delete(Path, recursive: true);
                return;
            }

            foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo directory)
                {
                    directory.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the caller reports the failure that brought it here.
            log.Failed(e, "backup.discard");
        }
    }
}
