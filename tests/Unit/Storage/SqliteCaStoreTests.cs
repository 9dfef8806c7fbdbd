using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

public class SqliteCaStoreTests
{
    [Fact]
    public void Store_uses_wal_journal()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        SqliteCaStore.Create(path).Dispose();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar() as string);
    }

    [Fact]
    public void Opening_a_missing_store_says_the_ca_is_missing()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<OpenChatException>(() => SqliteCaStore.Open(temp.Combine("nope.db")));
        Assert.Equal(ErrorIds.CaNotFound, e.ErrorId);
    }

    [Fact]
    public void Name_uniqueness_holds_under_concurrent_inserts()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = SqliteCaStore.Create(temp.Combine("store.db"));
        var now = DateTimeOffset.UtcNow;
        var taken = 0;
        Parallel.For(0, 8, i =>
        {
            var record = new CertificateRecord($"{i:X32}", CertificateKind.Client, i % 2 == 0 ? "alice" : "ALICE",
                "thumb", now, now.AddDays(1), now, [1, 2, 3]);
            try
            {
                store.AddCertificate(record, uniqueClientName: true, now);
            }
            catch (OpenChatException e) when (e.ErrorId == ErrorIds.UserNameTaken)
            {
                Interlocked.Increment(ref taken);
            }
        });
        Assert.Single(store.FindCertificates());
        Assert.Equal(7, taken);
    }

    [Fact]
    public void Revoke_changes_a_certificate_once()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = SqliteCaStore.Create(temp.Combine("store.db"));
        var now = DateTimeOffset.UtcNow;
        store.AddCertificate(new CertificateRecord("AB", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), true, now);
        Assert.True(store.RevokeCertificate("ab", now, System.Security.Cryptography.X509Certificates.X509RevocationReason.Superseded));
        Assert.False(store.RevokeCertificate("AB", now, System.Security.Cryptography.X509Certificates.X509RevocationReason.KeyCompromise));
        Assert.Equal(System.Security.Cryptography.X509Certificates.X509RevocationReason.Superseded, store.GetCertificate("AB")!.RevocationReason);
    }

    [Fact]
    public void Settings_round_trip_and_crl_numbers_increase()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = SqliteCaStore.Create(temp.Combine("store.db"));
        Assert.Null(store.GetSetting("k"));
        store.SetSetting("k", "v1");
        store.SetSetting("k", "v2");
        Assert.Equal("v2", store.GetSetting("k"));
        Assert.Equal(1, store.NextCrlNumber());
        Assert.Equal(2, store.NextCrlNumber());
    }
}
