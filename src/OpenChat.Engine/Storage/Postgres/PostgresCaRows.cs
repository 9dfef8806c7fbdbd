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
            "SELECT " + string.Format(System.Globalization.CultureInfo.InvariantCulture, CaRecordRows.CertificateColumns, "ca_certificates") + " FROM ca_certificates " + clause, args);
        using var reader = command.ExecuteReader();
        var result = new List<CertificateRecord>();
        while (reader.Read())
        {
            result.Add(CaRecordRows.Certificate(reader));
        }

        return result;
    }

    public static List<InviteRecord> Invites(NpgsqlConnection connection, string clause, params object?[] args)
    {
        using var command = PostgresCaDatabase.Command(connection, null,
            "SELECT " + CaRecordRows.InviteColumns + " FROM ca_invites " + clause, args);
        using var reader = command.ExecuteReader();
        var result = new List<InviteRecord>();
        while (reader.Read())
        {
            result.Add(CaRecordRows.Invite(reader));
        }

        return result;
    }

}
