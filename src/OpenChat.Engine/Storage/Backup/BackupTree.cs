using System.Security.Cryptography;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>The files under a directory as a backup names them ('/'-separated relative paths),
/// and the owner-only copy with its hash that backup and restore both make.</summary>
internal static class BackupTree
{
    /// <summary>Every regular file under <paramref name="root"/>, recursively, without following
    /// links; <paramref name="skipDirectory"/> prunes a folder, <paramref name="links"/> receives
    /// each symbolic link met (never followed, never copied).</summary>
    public static List<string> Files(string root, Func<string, bool>? skipDirectory = null, List<string>? links = null)
    {
        var found = new List<string>();
        Walk(root, "", found, skipDirectory ?? (_ => false), links);
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static void Walk(string root, string prefix, List<string> found, Func<string, bool> skipDirectory, List<string>? links)
    {
        var here = prefix.Length == 0 ? root : Path.Combine(root, prefix);
        foreach (var entry in new DirectoryInfo(here).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            var relative = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            if (entry.LinkTarget is not null)
            {
                links?.Add(relative);
            }
            else if (entry is DirectoryInfo)
            {
                if (!skipDirectory(relative))
                {
                    Walk(root, relative, found, skipDirectory, links);
                }
            }
            else
            {
                found.Add(relative);
            }
        }
    }

    /// <summary>The absolute path of <paramref name="relative"/> under <paramref name="root"/>, or
    /// null when it is not a plain relative path that stays inside it.</summary>
    public static string? Resolve(string root, string relative)
    {
        if (string.IsNullOrEmpty(relative) || relative.Contains('\\', StringComparison.Ordinal) || Path.IsPathRooted(relative)
            || relative.Split('/').Any(part => part is "" or "." or ".."))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(root, relative));
        return full.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    /// <summary>Copies a file into a new owner-only file (its folders owner-only too); returns
    /// the copy's size and SHA-256 as read from the source while copying. <paramref name="created"/>
    /// learns the new file as soon as it exists, before a byte is written.</summary>
    public static (long Size, string Sha256) CopyHashed(string source, string destination, Action<string>? created = null)
    {
        SecureFile.CreateDirectory(Path.GetDirectoryName(destination)!);
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var output = SecureFile.Open(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920);
        created?.Invoke(destination);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            output.Write(buffer, 0, read);
            size += read;
        }

        output.Flush(flushToDisk: true);
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The size and SHA-256 of a file.</summary>
    public static (long Size, string Sha256) Hash(string path)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return (input.Length, Convert.ToHexStringLower(SHA256.HashData(input)));
    }
}
