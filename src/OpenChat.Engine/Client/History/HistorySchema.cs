using Microsoft.Data.Sqlite;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client.History;

/// <summary>
/// The layout of history.db and the steps that bring an older file to it, versioned with SQLite's
/// <c>PRAGMA user_version</c> as the server's message store is (<c>Storage/MessageStoreSchema</c>):
/// each step runs in one transaction with its version number, and a file newer than this code is
/// refused rather than misread.
/// </summary>
/// <remarks>
/// What is in clear, on purpose: a room's opaque tag (an HMAC of its name under a key of the
/// identity), sequence numbers and the server's time of each record, the read position per room
/// and where this device's readable history of a room begins. Everything else (room, sender,
/// text, notices, problems) is inside <c>data</c>, sealed with AES-GCM.
/// </remarks>
internal static class HistorySchema
{
    /// <summary>The version this code reads and writes.</summary>
    public const int Version = 1;

    // Steps[v] takes a file from version v to v + 1.
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE messages (
            room_tag BLOB NOT NULL,
            seq INTEGER NOT NULL,
            time INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (room_tag, seq)
        ) WITHOUT ROWID;
        CREATE INDEX messages_by_time ON messages(time, seq);
        CREATE TABLE rooms (
            room_tag BLOB PRIMARY KEY,
            last_read INTEGER NOT NULL DEFAULT 0,
            earlier_through INTEGER NOT NULL DEFAULT 0,
            first_message INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE key_check (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            data BLOB NOT NULL
        );
        """,
    ];

    /// <summary>The file's version now.</summary>
    public static int Read(SqliteConnection connection) => SqliteSchemaSteps.Read(connection);

    /// <summary>Brings the file to <see cref="Version"/>; returns the version it had (0: new).</summary>
    /// <exception cref="OpenChatException">The file was written by a newer OpenChat.</exception>
    public static int Upgrade(SqliteConnection connection, string path) => SqliteSchemaSteps.Upgrade(connection, Steps, $"The message history at '{path}'");
}
