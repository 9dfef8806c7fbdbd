using OpenChat.Engine.Storage.Backup;

namespace OpenChat;

/// <summary>A backup of a server's data directory, as Backup-ChatServer made it or
/// Restore-ChatServer put it back: where it is, what it came from, and what it holds.</summary>
public sealed class ChatServerBackup
{
    internal ChatServerBackup(string path, string? restoredTo, BackupManifest manifest)
    {
        Path = path;
        RestoredTo = restoredTo;
        Source = manifest.Source;
        CreatedAt = manifest.CreatedAt;
        OpenChatVersion = manifest.OpenChatVersion;
        Database = manifest.Database;
        Files = manifest.Files.Select(f => f.Path).ToArray();
        Size = manifest.Files.Sum(f => f.Size);
        SchemaVersions = manifest.Files.Where(f => f.SchemaVersion is not null)
            .ToDictionary(f => f.Path, f => f.SchemaVersion!.Value, StringComparer.Ordinal);
    }

    /// <summary>The backup's directory.</summary>
    public string Path { get; }

    /// <summary>The data directory it was restored into (Restore-ChatServer), else null.</summary>
    public string? RestoredTo { get; }

    /// <summary>The data directory that was backed up.</summary>
    public string Source { get; }

    public DateTimeOffset CreatedAt { get; }

    public string OpenChatVersion { get; }

    /// <summary>"sqlite": the databases are in the backup; "postgresql": they are not (pg_dump).</summary>
    public string Database { get; }

    public IReadOnlyList<string> Files { get; }

    /// <summary>Bytes of all files together.</summary>
    public long Size { get; }

    /// <summary>Each database file's schema version.</summary>
    public IReadOnlyDictionary<string, int> SchemaVersions { get; }

    public override string ToString() => RestoredTo ?? Path;
}
