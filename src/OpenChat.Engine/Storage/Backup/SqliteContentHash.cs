using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace OpenChat.Engine.Storage.Backup;

/// <summary>A SHA-256 over a database's schema and every row of every table, in a fixed order:
/// equal for a database and its online-backup copy (whose file bytes differ in the header), and
/// different once a row was added, changed or removed. It reads, never writes, so it costs no
/// disk space.</summary>
internal static class SqliteContentHash
{
    public static string Of(SqliteConnection connection)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tables = new List<string>();
        using (var schema = connection.CreateCommand())
        {
            schema.CommandText = "SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name;";
            using var reader = schema.ExecuteReader();
            while (reader.Read())
            {
                Append(hash, reader.GetString(0) + "\0" + reader.GetString(1) + "\0" + reader.GetString(2));
                if (reader.GetString(0) == "table" && !reader.GetString(1).StartsWith("sqlite_", StringComparison.Ordinal))
                {
                    tables.Add(reader.GetString(1));
                }
            }
        }

        foreach (var table in tables)
        {
            using var rows = connection.CreateCommand();
            rows.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\";";
            using var reader = rows.ExecuteReader();
            Append(hash, "\u0001" + table);
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    Append(hash, value switch
                    {
                        DBNull => "\u0002",
                        byte[] bytes => "b" + Convert.ToHexString(bytes),
                        IFormattable number => "n" + number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                        _ => "s" + value,
                    });
                }
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, string part)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(part));
        hash.AppendData([0xff]);
    }
}
