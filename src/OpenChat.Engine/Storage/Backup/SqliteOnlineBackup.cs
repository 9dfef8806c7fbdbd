using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>
/// A consistent copy of one SQLite database through SQLite's online backup API, taken while
/// other connections (a running server, in this process or another) keep writing. The copy is
/// one read transaction of the source: in WAL mode it holds every transaction committed before
/// it began and nothing after, and it never blocks the writer.
/// </summary>
internal static class SqliteOnlineBackup
{
    /// <summary>Copies the database at <paramref name="source"/> into the new owner-only file
    /// <paramref name="destination"/>; returns the copy's schema version (user_version).</summary>
    public static int Copy(string source, string destination, Action<string>? created = null)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = source,
            // ReadWrite without Create: a missing file is an error, not a new empty database;
            // WAL needs the -shm file writable even for a reader.
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        return Copy(connection, destination, created);
    }

    /// <summary>Copies the database behind an open <paramref name="connection"/> into the new
    /// owner-only file <paramref name="destination"/>; returns the copy's schema version.
    /// <paramref name="created"/> learns the new file as soon as it exists.</summary>
    public static int Copy(SqliteConnection connection, string destination, Action<string>? created = null)
    {
        // The file exists with the owner-only mode before SQLite writes a byte of it.
        SecureFile.WriteAllBytes(destination, ReadOnlySpan<byte>.Empty);
        created?.Invoke(destination);
        using var target = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = destination,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        target.Open();
        connection.BackupDatabase(target);
        // A self-contained file: the copy's pages in its main file, no journal beside it, so a
        // hash of the file is a hash of the database.
        using var command = target.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=DELETE; PRAGMA user_version;";
        using var reader = command.ExecuteReader();
        reader.NextResult();
        reader.Read();
        return Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture);
    }
}
