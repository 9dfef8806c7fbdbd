using System.Security.Cryptography.X509Certificates;
using Npgsql;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>How the PostgreSQL CA store reads its rows back into records.</summary>
internal static class PostgresCaRows
{
    public static List<CertificateRecord> Certificates(NpgsqlConnection connection, string clause, params object?[] args)
    {
        using var command = PostgresCaDatabase.Command(connection, null,
            "SELECT serial, kind, name, thumbprint, not_before, not_after, issued_at, der, revoked_at, revocation_reason, renewed_from, "
            + "(SELECT r.serial FROM ca_certificates r WHERE r.renewed_from = ca_certificates.serial) FROM ca_certificates " + clause, args);
        using var reader = command.ExecuteReader();
        var result = new List<CertificateRecord>();
        while (reader.Read())
        {
            result.Add(new CertificateRecord(
                reader.GetString(0),
                (CertificateKind)reader.GetInt32(1),
                reader.GetString(2),
                reader.GetString(3),
                FromMs(reader.GetInt64(4)),
                FromMs(reader.GetInt64(5)),
                FromMs(reader.GetInt64(6)),
                reader.GetFieldValue<byte[]>(7),
                reader.IsDBNull(8) ? null : FromMs(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : (X509RevocationReason)reader.GetInt32(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11)));
        }

        return result;
    }

    public static List<InviteRecord> Invites(NpgsqlConnection connection, string clause, params object?[] args)
    {
        using var command = PostgresCaDatabase.Command(connection, null,
            "SELECT id, user_name, verifier, server, created_at, expires_at, additional_device, redeemed_at, revoked_at, cancel_reason FROM ca_invites " + clause, args);
        using var reader = command.ExecuteReader();
        var result = new List<InviteRecord>();
        while (reader.Read())
        {
            result.Add(new InviteRecord(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetFieldValue<byte[]>(2),
                reader.GetString(3),
                FromMs(reader.GetInt64(4)),
                FromMs(reader.GetInt64(5)),
                reader.GetBoolean(6),
                reader.IsDBNull(7) ? null : FromMs(reader.GetInt64(7)),
                reader.IsDBNull(8) ? null : FromMs(reader.GetInt64(8)),
                reader.IsDBNull(9) || reader.GetString(9).Length == 0 ? null : reader.GetString(9)));
        }

        return result;
    }

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
