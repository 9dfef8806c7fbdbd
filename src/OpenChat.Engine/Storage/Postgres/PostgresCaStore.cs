using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using OpenChat.Engine.Pki;
using static OpenChat.Engine.Storage.Postgres.PostgresCaDatabase;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The CA store of a PostgreSQL deployment (the tables of <see cref="PostgresCaSchema"/>), shared
/// by every node on the database. It answers as <see cref="SqliteCaStore"/> does; what SQLite
/// gets from one writer at a time is got here from row locks and one advisory lock, so that it
/// holds across nodes too: a name is claimed under <see cref="NameLock"/>, an invite is redeemed
/// and a certificate revoked by a conditional UPDATE (a second one waits on the row and then
/// finds it changed), a renewal locks the certificate it renews, and the CRL number is one
/// atomic upsert. Made by <see cref="PostgresCaStoreFactory"/>.
/// </summary>
public sealed class PostgresCaStore : ICaStore
{
    // Any constant; it names "a client name is being claimed" (PostgresSchema uses another).
    internal const long NameLock = 0x4F434E616D657321;

    private readonly PostgresCaDatabase _database;

    internal PostgresCaStore(PostgresCaDatabase database)
    {
        _database = database;
    }

    /// <summary>The database and where it is (no password), as messages name it.</summary>
    public string DatabaseName => _database.Name;

    public void AddCertificate(CertificateRecord record, bool uniqueClientName, DateTimeOffset now) =>
        _database.Write("storing a certificate", (connection, transaction) =>
        {
            if (record.Kind == CertificateKind.Client)
            {
                // The uniqueness and look-alike checks read what other nodes claimed: they must
                // see every claim committed before and none can commit until this one does.
                Execute(connection, transaction, "SELECT pg_advisory_xact_lock($1)", NameLock);
                if (uniqueClientName && Scalar(connection, transaction, """
                    SELECT EXISTS (SELECT 1 FROM ca_certificates
                                   WHERE kind = $1 AND name_norm = $2 AND revoked_at IS NULL AND not_after >= $3)
                    """, (int)CertificateKind.Client, record.NormalizedName, now.ToUnixTimeMilliseconds()) is true)
                {
                    throw UserNamePolicy.Taken(record.Name);
                }

                if (PostgresCaLookalikes.Find(connection, transaction, record.Name, now) is { } existing)
                {
                    throw UserNamePolicy.Confusable(record.Name, existing);
                }
            }

            Insert(connection, transaction, record, renewedFrom: null);
            return 0;
        });

    public void AddRenewal(CertificateRecord record)
    {
        var from = record.RenewedFrom?.ToUpperInvariant()
            ?? throw new ArgumentException("A renewal names the certificate it renews.", nameof(record));
        _database.Write("storing a renewal", (connection, transaction) =>
        {
            // The row lock makes a racing revocation or renewal of the same certificate, on any
            // node, finish first or wait: whichever committed first wins, the other stores nothing.
            var previous = Scalar(connection, transaction, "SELECT revoked_at IS NULL FROM ca_certificates WHERE serial = $1 FOR UPDATE", from);
            if (previous is null)
            {
                throw new OpenChatException(ErrorIds.CertificateNotFromCa, ErrorKind.PolicyViolation,
                    $"Certificate {from} was not issued by this CA; it cannot be renewed here.");
            }

            if (previous is false)
            {
                throw ClientRenewal.Revoked(from);
            }

            if (Scalar(connection, transaction, "SELECT serial FROM ca_certificates WHERE renewed_from = $1", from) is string successor)
            {
                throw ClientRenewal.AlreadyRenewed(from, successor);
            }

            Insert(connection, transaction, record, from);
            return 0;
        });
    }

    public CertificateRecord? GetCertificate(string serial) =>
        _database.Read("reading a certificate", connection =>
            PostgresCaRows.Certificates(connection, "WHERE serial = $1", serial.ToUpperInvariant()).FirstOrDefault());

    public IReadOnlyList<CertificateRecord> FindCertificates(CertificateKind? kind = null, string? normalizedName = null) =>
        _database.Read("listing certificates", connection => PostgresCaRows.Certificates(connection,
            "WHERE ($1::integer IS NULL OR kind = $1) AND ($2::text IS NULL OR name_norm = $2) ORDER BY issued_at, seq",
            kind is null ? null : (int)kind.Value, normalizedName));

    public IReadOnlyList<string>? RevokeCertificate(string serial, DateTimeOffset revokedAt, X509RevocationReason reason, string inviteCancelReason = "") =>
        _database.Write("revoking a certificate", IReadOnlyList<string>? (connection, transaction) =>
        {
            var at = revokedAt.ToUnixTimeMilliseconds();
            var key = serial.ToUpperInvariant();
            if (Execute(connection, transaction, """
                UPDATE ca_certificates SET revoked_at = $1, revocation_reason = $2
                WHERE serial = $3 AND revoked_at IS NULL
                """, at, (int)reason, key) != 1)
            {
                return null;
            }

            // A renewal keeps the key, so a certificate's predecessors and successors are the same
            // device: revoking one must stop them all, or a thief holding the key would connect (and
            // read on) with whichever certificate of the chain is still valid.
            Execute(connection, transaction, """
                WITH RECURSIVE chain(serial) AS (
                    SELECT $3::text
                    UNION
                    SELECT c.serial FROM ca_certificates c, chain
                    WHERE c.renewed_from = chain.serial
                       OR c.serial = (SELECT p.renewed_from FROM ca_certificates p WHERE p.serial = chain.serial)
                )
                UPDATE ca_certificates SET revoked_at = $1, revocation_reason = $2
                WHERE serial IN (SELECT serial FROM chain) AND revoked_at IS NULL
                """, at, (int)reason, key);

            // In the same transaction, so no enrollment can slip in between: once a user has no
            // valid certificate left, nothing issued before the revocation may bring them back.
            return Strings(connection, transaction, """
                UPDATE ca_invites SET revoked_at = $1, cancel_reason = $2
                WHERE redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $1
                  AND user_norm = (SELECT name_norm FROM ca_certificates WHERE serial = $3 AND kind = $4)
                  AND NOT EXISTS (SELECT 1 FROM ca_certificates c
                                  WHERE c.kind = $4 AND c.revoked_at IS NULL AND c.not_after >= $1
                                    AND c.name_norm = (SELECT name_norm FROM ca_certificates WHERE serial = $3))
                RETURNING id
                """, at, inviteCancelReason, key, (int)CertificateKind.Client);
        });

    public IReadOnlyList<string> RevokedSince(DateTimeOffset since) =>
        _database.Read("reading revocations", connection =>
            Strings(connection, null, "SELECT serial FROM ca_certificates WHERE revoked_at >= $1", since.ToUnixTimeMilliseconds()));

    public long NextCrlNumber() =>
        _database.Write("taking a CRL number", (connection, transaction) =>
        {
            // One statement: two nodes asking at once queue on the row and get consecutive numbers.
            var next = (string)Scalar(connection, transaction, """
                INSERT INTO ca_settings (key, value) VALUES ('crl_number', '1')
                ON CONFLICT (key) DO UPDATE SET value = (ca_settings.value::bigint + 1)::text
                RETURNING value
                """)!;
            return long.Parse(next, CultureInfo.InvariantCulture);
        });

    public void AddInvite(InviteRecord invite) =>
        _database.Write("storing an invite", (connection, transaction) =>
        {
            Execute(connection, transaction, "SELECT pg_advisory_xact_lock($1)", NameLock);
            if (PostgresCaLookalikes.Find(connection, transaction, invite.UserName, invite.CreatedAt) is { } existing)
            {
                throw UserNamePolicy.Confusable(invite.UserName, existing);
            }

            Execute(connection, transaction, """
                INSERT INTO ca_invites (id, user_name, user_norm, user_skel, verifier, server, created_at, expires_at, additional_device)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                invite.Id, invite.UserName, UserNamePolicy.Normalize(invite.UserName), UserNameSkeleton.Of(invite.UserName),
                invite.Verifier, invite.Server, invite.CreatedAt.ToUnixTimeMilliseconds(), invite.ExpiresAt.ToUnixTimeMilliseconds(),
                invite.AdditionalDevice);
            return 0;
        });

    public string? LookalikeOf(string userName, DateTimeOffset now) =>
        _database.Read("checking a name", connection => PostgresCaLookalikes.Find(connection, null, userName, now));

    public InviteRecord? GetInvite(string id) =>
        _database.Read("reading an invite", connection => PostgresCaRows.Invites(connection, "WHERE id = $1", id).FirstOrDefault());

    public IReadOnlyList<InviteRecord> FindInvites(string? normalizedUserName = null) =>
        _database.Read("listing invites", connection =>
            PostgresCaRows.Invites(connection, "WHERE ($1::text IS NULL OR user_norm = $1) ORDER BY created_at, seq", normalizedUserName));

    // A conditional UPDATE: a second node redeeming (or revoking) the same invite at the same
    // moment waits on the row, then finds it no longer pending and changes nothing.
    public bool TryRedeemInvite(string id, DateTimeOffset now) =>
        _database.Write("redeeming an invite", (connection, transaction) => Execute(connection, transaction, """
            UPDATE ca_invites SET redeemed_at = $1
            WHERE id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $1
            """, now.ToUnixTimeMilliseconds(), id) == 1);

    public bool TryRevokeInvite(string id, DateTimeOffset now) =>
        _database.Write("cancelling an invite", (connection, transaction) => Execute(connection, transaction, """
            UPDATE ca_invites SET revoked_at = $1
            WHERE id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $1
            """, now.ToUnixTimeMilliseconds(), id) == 1);

    public IReadOnlyList<string> CancelPendingInvites(string normalizedUserName, DateTimeOffset now, string reason) =>
        _database.Write("cancelling invites", (connection, transaction) => Strings(connection, transaction, """
            UPDATE ca_invites SET revoked_at = $1, cancel_reason = $2
            WHERE user_norm = $3 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $1
            RETURNING id
            """, now.ToUnixTimeMilliseconds(), reason, normalizedUserName));

    public string? GetSetting(string key) =>
        _database.Read("reading a setting", connection => Scalar(connection, null, "SELECT value FROM ca_settings WHERE key = $1", key) as string);

    public void SetSetting(string key, string value) =>
        _database.Write("storing a setting", (connection, transaction) => Execute(connection, transaction,
            "INSERT INTO ca_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value));

    public void Dispose() => _database.Dispose();

    private static void Insert(NpgsqlConnection connection, NpgsqlTransaction transaction, CertificateRecord record, string? renewedFrom) =>
        Execute(connection, transaction, """
            INSERT INTO ca_certificates (serial, kind, name, name_norm, name_skel, thumbprint, not_before, not_after, issued_at, der, renewed_from)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """,
            record.Serial, (int)record.Kind, record.Name, record.NormalizedName, UserNameSkeleton.Of(record.Name), record.Thumbprint,
            record.NotBefore.ToUnixTimeMilliseconds(), record.NotAfter.ToUnixTimeMilliseconds(), record.IssuedAt.ToUnixTimeMilliseconds(),
            record.RawData, renewedFrom);
}
