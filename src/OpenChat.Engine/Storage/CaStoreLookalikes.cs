using Microsoft.Data.Sqlite;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage;

/// <summary>The look-alike query of the SQLite CA store (<see cref="ICaStore.LookalikeOf"/>), run
/// on the caller's connection so that the inserts that must not race with it (a certificate, an
/// invite) can run it inside their own write transaction.</summary>
internal static class CaStoreLookalikes
{
    public static string? Find(SqliteConnection connection, string userName, DateTimeOffset now)
    {
        (string, object)[] args =
        [
            ("$client", (int)CertificateKind.Client), ("$norm", UserNamePolicy.Normalize(userName)),
            ("$skel", UserNameSkeleton.Of(userName)), ("$now", now.ToUnixTimeMilliseconds()),
        ];

        // The name is already someone's: the same person again, never a look-alike of itself.
        var known = SqliteCaStore.Scalar(connection, """
            SELECT EXISTS (SELECT 1 FROM certificates WHERE kind = $client AND name_norm = $norm AND revoked_at IS NULL)
                OR EXISTS (SELECT 1 FROM invites WHERE user_norm = $norm AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $now)
            """, args);
        if (Convert.ToInt64(known, System.Globalization.CultureInfo.InvariantCulture) != 0)
        {
            return null;
        }

        return SqliteCaStore.Scalar(connection, """
            SELECT name FROM (
                SELECT name, issued_at AS at FROM certificates
                WHERE kind = $client AND name_skel = $skel AND name_norm <> $norm AND revoked_at IS NULL
                UNION ALL
                SELECT user_name, created_at FROM invites
                WHERE user_skel = $skel AND user_norm <> $norm AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $now)
            ORDER BY at LIMIT 1
            """, args) as string;
    }
}
