using System.Text;

namespace OpenChat.Engine.Storage;

/// <summary>
/// Creates files and directories that only the owner can read. The mode is set when the file is
/// created, never afterwards, so there is no moment in which a secret sits in a readable file.
/// </summary>
public static class SecureFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerAll);
        }
    }

    /// <summary>Writes <paramref name="content"/> to a new owner-only file. Fails if the file
    /// exists unless <paramref name="overwrite"/> is set, in which case the old file is
    /// replaced atomically (write to a temporary sibling, then rename).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, bool overwrite = false)
    {
        var target = overwrite ? path + ".tmp-" + Guid.NewGuid().ToString("N") : path;
        using (var stream = Open(target, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        if (overwrite)
        {
            File.Move(target, path, overwrite: true);
        }
    }

    /// <summary>Opens a file that, if this creates it, is the owner's alone from its first byte.</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        return new FileStream(path, options);
    }

    public static void WriteAllText(string path, string content, bool overwrite = false) =>
        WriteAllBytes(path, Encoding.UTF8.GetBytes(content), overwrite);

    /// <summary>Creates an empty owner-only file if none exists (used before SQLite opens it,
    /// so the database and its journals inherit the mode).</summary>
    public static void Touch(string path)
    {
        if (!File.Exists(path))
        {
            WriteAllBytes(path, ReadOnlySpan<byte>.Empty);
        }
    }
}
