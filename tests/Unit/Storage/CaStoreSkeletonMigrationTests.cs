using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

public class CaStoreSkeletonMigrationTests
{
    [Fact]
    public void Upgrading_a_version_3_store_fills_in_the_skeletons_of_the_names_it_holds()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        var now = DateTimeOffset.UtcNow;
        using (var store = SqliteCaStore.Create(path))
        {
            store.AddCertificate(new CertificateRecord("AA", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), true, now);
            store.AddInvite(new InviteRecord("i1", "bob", [1], "localhost:7443", now, now.AddDays(1)));
        }

        // The store as version 3 left it: no skeleton columns, no indexes on them.
        Run(path, """
            DROP INDEX certificates_by_skeleton;
            DROP INDEX invites_by_skeleton;
            ALTER TABLE certificates DROP COLUMN name_skel;
            ALTER TABLE invites DROP COLUMN user_skel;
            PRAGMA user_version=3;
            """);
        SqliteCaStore.ReleasePooledConnections();

        using var upgraded = SqliteCaStore.Open(path);

        Assert.Equal(4L, Scalar(path, "PRAGMA user_version;"));
        Assert.Equal(UserNameSkeleton.Of("alice"), Scalar(path, "SELECT name_skel FROM certificates WHERE serial = 'AA'"));
        Assert.Equal(UserNameSkeleton.Of("bob"), Scalar(path, "SELECT user_skel FROM invites WHERE id = 'i1'"));
        var e = Assert.Throws<OpenChatException>(() =>
            upgraded.AddCertificate(new CertificateRecord("BB", CertificateKind.Client, "a1ice", "t", now, now.AddDays(1), now, [1]), true, now));
        Assert.Equal(ErrorIds.UserNameConfusable, e.ErrorId);
        Assert.Equal("bob", upgraded.LookalikeOf("b0b", now));
    }

    [Fact]
    public void Look_alikes_stored_before_the_check_keep_their_devices()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = temp.Combine("store.db");
        var now = DateTimeOffset.UtcNow;
        using var store = SqliteCaStore.Create(path);
        store.AddCertificate(new CertificateRecord("AA", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), true, now);
        // An a1ice issued by an OpenChat that did not look yet.
        Run(path, $"""
            INSERT INTO certificates (serial, kind, name, name_norm, name_skel, thumbprint, not_before, not_after, issued_at, der)
            VALUES ('BB', {(int)CertificateKind.Client}, 'a1ice', 'a1ice', '{UserNameSkeleton.Of("a1ice")}', 't', 0, {now.AddDays(1).ToUnixTimeMilliseconds()}, 0, x'01');
            """);

        store.AddCertificate(new CertificateRecord("CC", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), false, now);
        store.AddCertificate(new CertificateRecord("DD", CertificateKind.Client, "a1ice", "t", now, now.AddDays(1), now, [1]), false, now);

        Assert.Equal(4, store.FindCertificates().Count);
        Assert.Equal(ErrorIds.UserNameConfusable, Assert.Throws<OpenChatException>(() =>
            store.AddCertificate(new CertificateRecord("EE", CertificateKind.Client, "al1ce", "t", now, now.AddDays(1), now, [1]), false, now)).ErrorId);
    }

    private static void Run(string path, string sql) => Scalar(path, sql);

    private static object? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
