using System.Data.Common;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage;

/// <summary>The CA store's rows as records, the same for SQLite and PostgreSQL: both stores select
/// the same columns in the same order (times as Unix milliseconds).</summary>
internal static class CaRecordRows
{
    /// <summary>The columns <see cref="Certificate"/> reads, after "SELECT"; <c>{0}</c> is the table.</summary>
    public const string CertificateColumns =
        "serial, kind, name, thumbprint, not_before, not_after, issued_at, der, revoked_at, revocation_reason, renewed_from, "
        + "(SELECT r.serial FROM {0} r WHERE r.renewed_from = {0}.serial)";

    /// <summary>The columns <see cref="Invite"/> reads, after "SELECT".</summary>
    public const string InviteColumns = "id, user_name, verifier, server, created_at, expires_at, additional_device, redeemed_at, revoked_at, cancel_reason";

    public static CertificateRecord Certificate(DbDataReader reader) => new(
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
        reader.IsDBNull(11) ? null : reader.GetString(11));

    public static InviteRecord Invite(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? [] : reader.GetFieldValue<byte[]>(2),
        reader.GetString(3),
        FromMs(reader.GetInt64(4)),
        FromMs(reader.GetInt64(5)),
        // An integer 0/1 in SQLite, a boolean in PostgreSQL.
        Convert.ToBoolean(reader.GetValue(6), System.Globalization.CultureInfo.InvariantCulture),
        reader.IsDBNull(7) ? null : FromMs(reader.GetInt64(7)),
        reader.IsDBNull(8) ? null : FromMs(reader.GetInt64(8)),
        reader.IsDBNull(9) || reader.GetString(9).Length == 0 ? null : reader.GetString(9));

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
