using Npgsql;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>The look-alike query of the PostgreSQL CA store (<see cref="ICaStore.LookalikeOf"/>),
/// the same question <see cref="CaStoreLookalikes"/> asks SQLite, run on the caller's transaction
/// so that the inserts that must not race with it can run it after taking the name lock.</summary>
internal static class PostgresCaLookalikes
{
    public static string? Find(NpgsqlConnection connection, NpgsqlTransaction? transaction, string userName, DateTimeOffset now)
    {
        object?[] args = [(int)CertificateKind.Client, UserNamePolicy.Normalize(userName), UserNameSkeleton.Of(userName), now.ToUnixTimeMilliseconds()];

        // The name is already someone's: the same person again, never a look-alike of itself.
        var known = PostgresCaDatabase.Scalar(connection, transaction, """
            SELECT EXISTS (SELECT 1 FROM ca_certificates WHERE kind = $1 AND name_norm = $2 AND revoked_at IS NULL)
                OR EXISTS (SELECT 1 FROM ca_invites WHERE user_norm = $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $4)
            """, args);
        if (known is true)
        {
            return null;
        }

        return PostgresCaDatabase.Scalar(connection, transaction, """
            SELECT name FROM (
                SELECT name, issued_at AS at FROM ca_certificates
                WHERE kind = $1 AND name_skel = $3 AND name_norm <> $2 AND revoked_at IS NULL
                UNION ALL
                SELECT user_name, created_at FROM ca_invites
                WHERE user_skel = $3 AND user_norm <> $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $4) AS users
            ORDER BY at LIMIT 1
            """, args) as string;
    }
}
