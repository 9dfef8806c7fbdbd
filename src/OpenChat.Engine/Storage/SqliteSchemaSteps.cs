using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OpenChat.Engine.Storage;

/// <summary>
/// The one way an OpenChat SQLite file is versioned: <c>PRAGMA user_version</c> counts the steps
/// applied; steps[v] takes a file from version v to v + 1 in one transaction together with the new
/// number, so a file is at one version or the next, never between. A file newer than the code is
/// refused rather than misread.
/// </summary>
internal static class SqliteSchemaSteps
{
    public static int Read(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Brings the file to <c>steps.Length</c>; returns the version it had (0: new).</summary>
    /// <param name="what">The file as a sentence names it ("The message store at '...'").</param>
    /// <param name="beforeUpgrade">Where an existing file is copied before it is migrated (the
    /// server's databases); null for files that need no copy (a client's history).</param>
    /// <exception cref="OpenChatException">StoreVersionUnsupported: written by a newer OpenChat.</exception>
    public static int Upgrade(SqliteConnection connection, IReadOnlyList<string> steps, string what, Backup.PreUpgradeBackup? beforeUpgrade = null)
    {
        var found = Read(connection);
        if (found > steps.Count)
        {
            throw new OpenChatException(ErrorIds.StoreVersionUnsupported, ErrorKind.InvalidData,
                $"{what} has schema version {found}; this OpenChat understands version {steps.Count} and older. Use the newer OpenChat that wrote it, or restore a backup made before that upgrade (Restore-ChatServer, or the pre-upgrade copy in the data directory's '{Backup.PreUpgradeBackup.DirectoryName}' folder). The file was not changed.");
        }

        beforeUpgrade?.TakeIfNeeded(connection, found, steps.Count);

        for (var version = found; version < steps.Count; version++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = steps[version] + string.Create(CultureInfo.InvariantCulture, $"\nPRAGMA user_version={version + 1};");
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        return found;
    }
}
