namespace OpenChat.Engine.Storage.Backup;

/// <summary>How far a backup or restore is: the file being copied, and files done of all.</summary>
public sealed record BackupProgress(string File, int Done, int Total);

/// <summary>A finished backup or restore: where it went and the manifest it wrote or checked.</summary>
public sealed record BackupResult(string Path, BackupManifest Manifest)
{
    /// <summary>The directory's stores live in PostgreSQL: this holds its files only, and the
    /// database needs a pg_dump of its own.</summary>
    public bool DatabaseNotIncluded => Manifest.Database == BackupManifest.PostgresDatabase;
}
