namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The room log's tables in PostgreSQL (schema part "messages"): the columns of messages.db,
/// prefixed <c>msg_</c> (messages.db's schema 2 moved its rows under a row number; a PostgreSQL
/// table is a heap, appended whatever its key, so this layout stayed). Times are Unix
/// milliseconds as in SQLite, so both stores give back exactly the same values.
/// </summary>
internal static class PostgresMessageSchema
{
    public const string Part = "messages";

    public static readonly string[] Steps =
    [
        """
        CREATE TABLE msg_rooms (
            name text PRIMARY KEY,
            kind integer NOT NULL,
            created_at bigint NOT NULL,
            last_seq bigint NOT NULL DEFAULT 0,
            epoch bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE msg_members (
            room text NOT NULL,
            user_norm text NOT NULL,
            user_name text NOT NULL,
            PRIMARY KEY (room, user_norm)
        );
        CREATE TABLE msg_messages (
            room text NOT NULL,
            seq bigint NOT NULL,
            message_id uuid NOT NULL,
            sender text NOT NULL,
            sender_serial text NOT NULL,
            kind integer NOT NULL,
            epoch bigint NOT NULL,
            time bigint NOT NULL,
            body bytea NOT NULL,
            PRIMARY KEY (room, seq)
        );
        CREATE UNIQUE INDEX msg_messages_by_id ON msg_messages (room, message_id);
        """,
    ];
}
