namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The CA's tables in a PostgreSQL deployment, as the steps of schema part <see cref="Part"/>
/// (<see cref="PostgresSchema"/>). They hold what <see cref="SqliteCaSchema"/>'s current version
/// holds, in the same units (times in Unix milliseconds), so that both stores answer alike; the
/// PostgreSQL store starts at that version and has no older formats to carry forward.
/// <c>ca_authority</c> has at most one row: it is what makes the database "hold a CA", and its
/// primary key is what lets exactly one of several nodes created at once make it.
/// </summary>
internal static class PostgresCaSchema
{
    public const string Part = "ca";

    /// <summary>The tables of the part, moved together when a CA is archived.</summary>
    public static readonly string[] Tables = ["ca_authority", "ca_certificates", "ca_invites", "ca_settings"];

    public static readonly IReadOnlyList<string> Steps =
    [
        """
        CREATE TABLE ca_authority (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            created_at bigint NOT NULL
        );
        CREATE TABLE ca_certificates (
            seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            serial text PRIMARY KEY,
            kind integer NOT NULL,
            name text NOT NULL,
            name_norm text NOT NULL,
            name_skel text NOT NULL,
            thumbprint text NOT NULL,
            not_before bigint NOT NULL,
            not_after bigint NOT NULL,
            issued_at bigint NOT NULL,
            der bytea NOT NULL,
            revoked_at bigint NULL,
            revocation_reason integer NULL,
            renewed_from text NULL
        );
        CREATE INDEX ca_certificates_by_name ON ca_certificates (kind, name_norm);
        CREATE INDEX ca_certificates_by_skeleton ON ca_certificates (name_skel);
        CREATE INDEX ca_certificates_by_revoked_at ON ca_certificates (revoked_at) WHERE revoked_at IS NOT NULL;
        -- Unique: a certificate is renewed at most once even by two renewals racing on two nodes.
        CREATE UNIQUE INDEX ca_certificates_by_renewed_from ON ca_certificates (renewed_from) WHERE renewed_from IS NOT NULL;
        CREATE TABLE ca_invites (
            seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            id text PRIMARY KEY,
            user_name text NOT NULL,
            user_norm text NOT NULL,
            user_skel text NOT NULL,
            verifier bytea NOT NULL,
            server text NOT NULL,
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            additional_device boolean NOT NULL,
            redeemed_at bigint NULL,
            revoked_at bigint NULL,
            cancel_reason text NULL
        );
        CREATE INDEX ca_invites_by_user ON ca_invites (user_norm);
        CREATE INDEX ca_invites_by_skeleton ON ca_invites (user_skel);
        CREATE TABLE ca_settings (key text PRIMARY KEY, value text NOT NULL);
        """,
    ];
}
