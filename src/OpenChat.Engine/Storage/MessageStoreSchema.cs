using Microsoft.Data.Sqlite;

namespace OpenChat.Engine.Storage;

/// <summary>
/// The layout of messages.db and the steps that bring an older file to it. The version is
/// SQLite's <c>PRAGMA user_version</c>; a file of the first layout has none (0). Each step runs
/// in one transaction with the new version number, so a file is at one version or the next,
/// never between. A file newer than this code is refused rather than misread.
/// </summary>
internal static class MessageStoreSchema
{
    /// <summary>The version this code reads and writes.</summary>
    public const int Version = 2;

    // Steps[v] takes a file from version v to v + 1. Version 1 is the layout the store had
    // before it was versioned, so the first step only creates what is missing (all of it in a
    // new file, nothing in an old one) and stamps the version.
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE IF NOT EXISTS rooms (
            name TEXT PRIMARY KEY,
            kind INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            epoch INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS members (
            room TEXT NOT NULL,
            user_norm TEXT NOT NULL,
            user_name TEXT NOT NULL,
            PRIMARY KEY (room, user_norm)
        );
        CREATE TABLE IF NOT EXISTS messages (
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            message_id BLOB NOT NULL,
            sender TEXT NOT NULL,
            sender_serial TEXT NOT NULL,
            kind INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            time INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (room, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX IF NOT EXISTS messages_by_id ON messages(room, message_id);
        """,
        // Version 2: rows in the order the server stored them, with the room's sequence and
        // the message id as indexes. Keyed by (room, seq), a commit that touched 50 rooms wrote
        // each room's leaf and, as leaves split, their neighbours: about 180 pages of log for
        // 50 publishes in 100 rooms. Appended at the table's end, only the small index entries
        // land per room, and ids (time-ordered) first keep the id index appended too. The old
        // rows are copied in their old order, each room's together, and new ones follow them.
        """
        CREATE TABLE messages_v2 (
            id INTEGER PRIMARY KEY,
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            message_id BLOB NOT NULL,
            sender TEXT NOT NULL,
            sender_serial TEXT NOT NULL,
            kind INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            time INTEGER NOT NULL,
            body BLOB NOT NULL
        );
        INSERT INTO messages_v2(room, seq, message_id, sender, sender_serial, kind, epoch, time, body)
            SELECT room, seq, message_id, sender, sender_serial, kind, epoch, time, body FROM messages ORDER BY room, seq;
        DROP TABLE messages;
        ALTER TABLE messages_v2 RENAME TO messages;
        CREATE UNIQUE INDEX messages_by_seq ON messages(room, seq);
        CREATE UNIQUE INDEX messages_by_id ON messages(message_id, room);
        """,
    ];

    /// <summary>The file's version now.</summary>
    public static int Read(SqliteConnection connection) => SqliteSchemaSteps.Read(connection);

    /// <summary>Brings the file to <see cref="Version"/>; returns the version it had (0: new).</summary>
    /// <exception cref="OpenChatException">The file was written by a newer OpenChat.</exception>
    public static int Upgrade(SqliteConnection connection, string path, Backup.PreUpgradeBackup? beforeUpgrade = null) =>
        SqliteSchemaSteps.Upgrade(connection, Steps, $"The message store at '{path}'", beforeUpgrade);
}
