using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>One file of a backup: its path inside the backup ('/'-separated), size, SHA-256 (hex)
/// and, for a database, the schema version it had (<c>PRAGMA user_version</c>).</summary>
public sealed record BackupFile(string Path, long Size, string Sha256, int? SchemaVersion = null);

/// <summary>
/// <c>manifest.json</c> of a backup: what OpenChat made it, when, from where, and every file with
/// its hash. A restore takes exactly the files it lists with exactly those hashes. The hashes find
/// a damaged, truncated or edited backup; they are not a signature, so whoever may rewrite the
/// backup may rewrite the manifest too: keep backups where only the admin can write.
/// </summary>
public sealed record BackupManifest(int Format, string OpenChatVersion, DateTimeOffset CreatedAt, string Source,
    string Database, IReadOnlyList<BackupFile> Files)
{
    public const string FileName = "manifest.json";

    /// <summary>The layout of backups this code writes and reads.</summary>
    public const int CurrentFormat = 1;

    /// <summary>What <see cref="Database"/> says of a directory whose stores are its own SQLite files.</summary>
    public const string SqliteDatabase = "sqlite";

    /// <summary>What <see cref="Database"/> says of a directory whose stores are in PostgreSQL
    /// (backed up with pg_dump, not here).</summary>
    public const string PostgresDatabase = "postgresql";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, BackupJson.Default.BackupManifest);

    /// <exception cref="OpenChatException">BackupInvalid: missing, unreadable or of another format.</exception>
    public static BackupManifest Read(string backupDirectory)
    {
        var path = System.IO.Path.Combine(backupDirectory, FileName);
        if (!File.Exists(path))
        {
            throw Invalid(backupDirectory, $"it has no {FileName}; it is not an OpenChat backup, or an incomplete one");
        }

        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllBytes(path), BackupJson.Default.BackupManifest);
        }
        catch (JsonException e)
        {
            throw Invalid(backupDirectory, $"its {FileName} cannot be read ({e.Message})");
        }

        if (manifest is null || manifest.Files is null)
        {
            throw Invalid(backupDirectory, $"its {FileName} is empty");
        }

        if (manifest.Format != CurrentFormat)
        {
            throw Invalid(backupDirectory, $"it is of backup format {manifest.Format}; this OpenChat reads format {CurrentFormat}. Restore it with the OpenChat version that made it ({manifest.OpenChatVersion})");
        }

        return manifest;
    }

    internal static OpenChatException Invalid(string backupDirectory, string why) =>
        new(ErrorIds.BackupInvalid, ErrorKind.InvalidData, $"The backup at '{backupDirectory}' was not restored: {why}. Nothing was written.");
}

[JsonSerializable(typeof(BackupManifest))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class BackupJson : JsonSerializerContext;
