using Microsoft.Data.Sqlite;

namespace OpenChat.Engine.Storage;

/// <summary>The one way the SQLite stores build a command: text plus named parameters, never
/// values spliced into the text.</summary>
internal static class SqliteCommands
{
    public static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object Value)[] args)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in args)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
