using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage;

/// <summary>The embedded CA store: one SQLite file in the data directory, WAL mode, full sync
/// (issuance is rare and must not be forgotten after a crash).</summary>
public sealed class SqliteCaStore : ICaStore
{
    private readonly string _connectionString;

    private SqliteCaStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            // Pooled: the server looks certificates up at every handshake.
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>The schema version this code writes (<see cref="SqliteCaSchema"/>).</summary>
    public static int SchemaVersion => SqliteCaSchema.CurrentVersion;

    /// <summary>Creates the database file (owner-only) and its schema.</summary>
    public static SqliteCaStore Create(string path, TimeProvider? time = null, ILogger? log = null)
    {
        SecureFile.Touch(path);
        var store = new SqliteCaStore(path);
        using var connection = store.Open();
        // Outside the schema's transaction: SQLite cannot change the journal mode inside one.
        Execute(connection, "PRAGMA journal_mode=WAL;");
        SqliteCaSchema.Upgrade(connection, path, isNew: true, (time ?? TimeProvider.System).GetUtcNow(), log ?? NullLogger.Instance);
        return store;
    }

    /// <summary>Opens an existing store, upgrading an older schema to <see cref="SchemaVersion"/>.</summary>
    public static SqliteCaStore Open(string path, TimeProvider? time = null, ILogger? log = null)
    {
        if (!File.Exists(path))
        {
            throw new OpenChatException(ErrorIds.CaNotFound, ErrorKind.NotFound,
                $"No OpenChat store at '{path}'. Create the certificate authority first with New-ChatCertificateAuthority.");
        }

        var store = new SqliteCaStore(path);
        using var connection = store.Open();
        SqliteCaSchema.Upgrade(connection, path, isNew: false, (time ?? TimeProvider.System).GetUtcNow(), log ?? NullLogger.Instance,
            new Backup.PreUpgradeBackup(path, log, time));
        return store;
    }

    /// <summary>Why the upgrade to version 2 cancelled a pending invite of version 1.</summary>
    public const string LegacyInviteReason = "made in the old invite format, which this version no longer redeems; issue a new invite";

    public void AddCertificate(CertificateRecord record, bool uniqueClientName, DateTimeOffset now)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (uniqueClientName && record.Kind == CertificateKind.Client)
        {
            var holders = Scalar(connection, """
                SELECT COUNT(*) FROM certificates
                WHERE kind = $kind AND name_norm = $name AND revoked_at IS NULL AND not_after >= $now
                """, ("$kind", (int)CertificateKind.Client), ("$name", record.NormalizedName), ("$now", now.ToUnixTimeMilliseconds()));
            if (Convert.ToInt64(holders, System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                throw UserNamePolicy.Taken(record.Name);
            }
        }

        if (record.Kind == CertificateKind.Client && CaStoreLookalikes.Find(connection, record.Name, now) is { } existing)
        {
            throw UserNamePolicy.Confusable(record.Name, existing);
        }

        Execute(connection, """
            INSERT INTO certificates (serial, kind, name, name_norm, name_skel, thumbprint, not_before, not_after, issued_at, der)
            VALUES ($serial, $kind, $name, $norm, $skel, $thumb, $nb, $na, $issued, $der)
            """,
            ("$serial", record.Serial), ("$kind", (int)record.Kind), ("$name", record.Name), ("$norm", record.NormalizedName),
            ("$skel", UserNameSkeleton.Of(record.Name)),
            ("$thumb", record.Thumbprint), ("$nb", record.NotBefore.ToUnixTimeMilliseconds()),
            ("$na", record.NotAfter.ToUnixTimeMilliseconds()), ("$issued", record.IssuedAt.ToUnixTimeMilliseconds()),
            ("$der", record.RawData));
        transaction.Commit();
    }

    public void AddRenewal(CertificateRecord record)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var from = record.RenewedFrom?.ToUpperInvariant()
            ?? throw new ArgumentException("A renewal names the certificate it renews.", nameof(record));
        var previous = Scalar(connection, "SELECT revoked_at IS NULL FROM certificates WHERE serial = $from", ("$from", from));
        if (previous is null)
        {
            throw new OpenChatException(ErrorIds.CertificateNotFromCa, ErrorKind.PolicyViolation,
                $"Certificate {from} was not issued by this CA; it cannot be renewed here.");
        }

        // Checked again inside the write transaction: a revocation or another renewal that
        // committed since the caller looked wins, and this one stores nothing.
        if (Convert.ToInt64(previous, System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            throw ClientRenewal.Revoked(from);
        }

        if (Scalar(connection, "SELECT serial FROM certificates WHERE renewed_from = $from", ("$from", from)) is string successor)
        {
            throw ClientRenewal.AlreadyRenewed(from, successor);
        }

        Execute(connection, """
            INSERT INTO certificates (serial, kind, name, name_norm, name_skel, thumbprint, not_before, not_after, issued_at, der, renewed_from)
            VALUES ($serial, $kind, $name, $norm, $skel, $thumb, $nb, $na, $issued, $der, $from)
            """,
            ("$serial", record.Serial), ("$kind", (int)record.Kind), ("$name", record.Name), ("$norm", record.NormalizedName),
            ("$skel", UserNameSkeleton.Of(record.Name)),
            ("$thumb", record.Thumbprint), ("$nb", record.NotBefore.ToUnixTimeMilliseconds()),
            ("$na", record.NotAfter.ToUnixTimeMilliseconds()), ("$issued", record.IssuedAt.ToUnixTimeMilliseconds()),
            ("$der", record.RawData), ("$from", from));
        transaction.Commit();
    }

    public CertificateRecord? GetCertificate(string serial)
    {
        using var connection = Open();
        return ReadCertificates(connection, "WHERE serial = $serial", ("$serial", serial.ToUpperInvariant())).FirstOrDefault();
    }

    public IReadOnlyList<CertificateRecord> FindCertificates(CertificateKind? kind = null, string? normalizedName = null)
    {
        using var connection = Open();
        var where = new List<string>();
        var args = new List<(string, object)>();
        if (kind is not null)
        {
            where.Add("kind = $kind");
            args.Add(("$kind", (int)kind.Value));
        }

        if (normalizedName is not null)
        {
            where.Add("name_norm = $name");
            args.Add(("$name", normalizedName));
        }

        var clause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        return ReadCertificates(connection, clause + " ORDER BY issued_at, rowid", args.ToArray());
    }

    public IReadOnlyList<string>? RevokeCertificate(string serial, DateTimeOffset revokedAt, X509RevocationReason reason, string inviteCancelReason = "")
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var at = revokedAt.ToUnixTimeMilliseconds();
        var changed = Execute(connection, """
            UPDATE certificates SET revoked_at = $at, revocation_reason = $reason
            WHERE serial = $serial AND revoked_at IS NULL
            """, ("$at", at), ("$reason", (int)reason), ("$serial", serial.ToUpperInvariant()));
        if (changed != 1)
        {
            return null;
        }

        // A renewal keeps the key, so a certificate's predecessors and successors are the same
        // device: revoking one must stop them all, or a thief holding the key would connect (and
        // read on) with whichever certificate of the chain is still valid.
        Execute(connection, """
            WITH RECURSIVE chain(serial) AS (
                SELECT $serial
                UNION
                SELECT c.serial FROM certificates c, chain
                WHERE c.renewed_from = chain.serial
                   OR c.serial = (SELECT p.renewed_from FROM certificates p WHERE p.serial = chain.serial)
            )
            UPDATE certificates SET revoked_at = $at, revocation_reason = $reason
            WHERE serial IN (SELECT serial FROM chain) AND revoked_at IS NULL
            """, ("$at", at), ("$reason", (int)reason), ("$serial", serial.ToUpperInvariant()));

        // In the same transaction, so no enrollment can slip in between: once a user has no
        // valid certificate left, nothing issued before the revocation may bring them back.
        var cancelled = new List<string>();
        using (var command = Command(connection, """
            UPDATE invites SET revoked_at = $at, cancel_reason = $why
            WHERE redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $at
              AND user_norm = (SELECT name_norm FROM certificates WHERE serial = $serial AND kind = $client)
              AND NOT EXISTS (SELECT 1 FROM certificates c
                              WHERE c.kind = $client AND c.revoked_at IS NULL AND c.not_after >= $at
                                AND c.name_norm = (SELECT name_norm FROM certificates WHERE serial = $serial))
            RETURNING id
            """, [("$at", at), ("$why", inviteCancelReason), ("$serial", serial.ToUpperInvariant()), ("$client", (int)CertificateKind.Client)]))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                cancelled.Add(reader.GetString(0));
            }
        }

        transaction.Commit();
        return cancelled;
    }

    public IReadOnlyList<string> RevokedSince(DateTimeOffset since)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT serial FROM certificates WHERE revoked_at >= $since", [("$since", since.ToUnixTimeMilliseconds())]);
        using var reader = command.ExecuteReader();
        var serials = new List<string>();
        while (reader.Read())
        {
            serials.Add(reader.GetString(0));
        }

        return serials;
    }

    public long NextCrlNumber()
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var current = Scalar(connection, "SELECT value FROM settings WHERE key = 'crl_number'") as string;
        var next = (current is null ? 0 : long.Parse(current, System.Globalization.CultureInfo.InvariantCulture)) + 1;
        Execute(connection, "INSERT INTO settings(key, value) VALUES('crl_number', $v) ON CONFLICT(key) DO UPDATE SET value = $v",
            ("$v", next.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        transaction.Commit();
        return next;
    }

    public void AddInvite(InviteRecord invite)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (CaStoreLookalikes.Find(connection, invite.UserName, invite.CreatedAt) is { } existing)
        {
            throw UserNamePolicy.Confusable(invite.UserName, existing);
        }

        Execute(connection, """
            INSERT INTO invites (id, user_name, user_norm, user_skel, secret_hash, verifier, server, created_at, expires_at, additional_device)
            VALUES ($id, $user, $norm, $skel, x'', $verifier, $server, $created, $expires, $additional)
            """,
            ("$id", invite.Id), ("$user", invite.UserName), ("$norm", UserNamePolicy.Normalize(invite.UserName)),
            ("$skel", UserNameSkeleton.Of(invite.UserName)),
            ("$verifier", invite.Verifier), ("$server", invite.Server),
            ("$created", invite.CreatedAt.ToUnixTimeMilliseconds()), ("$expires", invite.ExpiresAt.ToUnixTimeMilliseconds()),
            ("$additional", invite.AdditionalDevice ? 1 : 0));
        transaction.Commit();
    }

    public string? LookalikeOf(string userName, DateTimeOffset now)
    {
        using var connection = Open();
        return CaStoreLookalikes.Find(connection, userName, now);
    }

    public InviteRecord? GetInvite(string id)
    {
        using var connection = Open();
        return ReadInvites(connection, "WHERE id = $id", ("$id", id)).FirstOrDefault();
    }

    public IReadOnlyList<InviteRecord> FindInvites(string? normalizedUserName = null)
    {
        using var connection = Open();
        return normalizedUserName is null
            ? ReadInvites(connection, "ORDER BY created_at, rowid")
            : ReadInvites(connection, "WHERE user_norm = $u ORDER BY created_at, rowid", ("$u", normalizedUserName));
    }

    public bool TryRedeemInvite(string id, DateTimeOffset now)
    {
        using var connection = Open();
        return Execute(connection, """
            UPDATE invites SET redeemed_at = $now
            WHERE id = $id AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $now
            """, ("$now", now.ToUnixTimeMilliseconds()), ("$id", id)) == 1;
    }

    public bool TryRevokeInvite(string id, DateTimeOffset now)
    {
        using var connection = Open();
        return Execute(connection, """
            UPDATE invites SET revoked_at = $now
            WHERE id = $id AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $now
            """, ("$now", now.ToUnixTimeMilliseconds()), ("$id", id)) == 1;
    }

    public IReadOnlyList<string> CancelPendingInvites(string normalizedUserName, DateTimeOffset now, string reason)
    {
        using var connection = Open();
        using var command = Command(connection, """
            UPDATE invites SET revoked_at = $now, cancel_reason = $why
            WHERE user_norm = $user AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $now
            RETURNING id
            """, [("$now", now.ToUnixTimeMilliseconds()), ("$why", reason), ("$user", normalizedUserName)]);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public string? GetSetting(string key)
    {
        using var connection = Open();
        return Scalar(connection, "SELECT value FROM settings WHERE key = $k", ("$k", key)) as string;
    }

    public void SetSetting(string key, string value)
    {
        using var connection = Open();
        Execute(connection, "INSERT INTO settings(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = $v",
            ("$k", key), ("$v", value));
    }

    public void Dispose()
    {
        // Connections are opened per operation and returned to the pool; nothing to release here.
    }

    /// <summary>Closes pooled connections to every store, before its files are moved.</summary>
    public static void ReleasePooledConnections() => SqliteConnection.ClearAllPools();

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                $"Cannot open the OpenChat store at '{FilePath}': {e.Message}", e);
        }
    }

    private static List<CertificateRecord> ReadCertificates(SqliteConnection connection, string clause, params (string, object)[] args)
    {
        using var command = Command(connection,
            "SELECT " + string.Format(System.Globalization.CultureInfo.InvariantCulture, CaRecordRows.CertificateColumns, "certificates") + " FROM certificates " + clause, args);
        using var reader = command.ExecuteReader();
        var result = new List<CertificateRecord>();
        while (reader.Read())
        {
            result.Add(CaRecordRows.Certificate(reader));
        }

        return result;
    }

    private static List<InviteRecord> ReadInvites(SqliteConnection connection, string clause, params (string, object)[] args)
    {
        using var command = Command(connection,
            "SELECT " + CaRecordRows.InviteColumns + " FROM invites " + clause, args);
        using var reader = command.ExecuteReader();
        var result = new List<InviteRecord>();
        while (reader.Read())
        {
            result.Add(CaRecordRows.Invite(reader));
        }

        return result;
    }


    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object Value)[] args) => connection.Command(sql, args);

    internal static int Execute(SqliteConnection connection, string sql, params (string, object)[] args)
    {
        using var command = Command(connection, sql, args);
        return command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql, params (string, object)[] args)
    {
        using var command = Command(connection, sql, args);
        return command.ExecuteScalar();
    }
}
