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
    /// <exception cref="OpenChatException">StoreVersionUnsupported: written by a newer OpenChat.</exception>
    public static int Upgrade(SqliteConnection connection, IReadOnlyList<string> steps, string what)
    {
        var found = Read(connection);
        if (found > steps.Count)
        {
            throw new OpenChatException(ErrorIds.StoreVersionUnsupported, ErrorKind.InvalidData,
                $"{what} has schema version {found}; this OpenChat understands version {steps.Count} and older. Use the newer OpenChat that wrote it.");
        }

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
