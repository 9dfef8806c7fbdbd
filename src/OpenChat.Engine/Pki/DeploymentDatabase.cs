using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The PostgreSQL database a data directory's CA lives in, recorded there by the node that
/// started with <c>-Database</c>, so every other command given that directory (New-ChatInvite,
/// Revoke-ChatCertificate, a restart without <c>-Database</c>) reaches the same CA. Kept
/// readable only by its owner: a connection string may carry a password.
/// </summary>
public static class DeploymentDatabase
{
    public const string FileName = "database.connection";

    /// <summary>The recorded connection string, or null for a directory whose CA is its own SQLite file.</summary>
    public static string? Read(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path).Trim();
        return text.Length == 0 ? null : text;
    }

    /// <summary>Records the database (replacing what was recorded before).</summary>
    public static void Record(string dataDirectory, string connectionString)
    {
        if (Read(dataDirectory) == connectionString)
        {
            return;
        }

        SecureFile.WriteAllText(Path.Combine(dataDirectory, FileName), connectionString + "\n", overwrite: true);
    }

    /// <summary>The store factory for the directory: the recorded database's, or SQLite's.</summary>
    public static ICaStoreFactory StoresFor(string dataDirectory) =>
        Read(dataDirectory) is { } database
            ? new Storage.Postgres.PostgresCaStoreFactory(database)
            : ICaStoreFactory.Default;
}
