using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class CertificateAuthorityTests
{
    [Fact]
    public void Creates_a_self_signed_root_with_ca_profile()
    {
        using var ca = new Ca();
        var root = ca.Directory.Certificate;
        Assert.Equal("CN=Test CA", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        var basic = root.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.Critical);
        var usage = root.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.CrlSign));
        Assert.NotNull(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
    }

    [Fact]
    public void P384_ca_signs_with_sha384()
    {
        using var ca = new Ca(algorithm: CaKeyAlgorithm.P384);
        Assert.Equal(384, ca.Directory.Certificate.GetECDsaPublicKey()!.KeySize);
        var issued = ca.Authority.IssueClient("alice");
        Assert.Equal("1.2.840.10045.4.3.3", issued.Certificate.SignatureAlgorithm.Value); // ecdsa-with-SHA384
    }

    [Fact]
    public void Key_and_store_are_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var ca = new Ca();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ca.Directory.KeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ca.Directory.StorePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ca.Directory.Path));
    }

    [Fact]
    public void Refuses_to_overwrite_an_existing_ca()
    {
        using var ca = new Ca();
        var before = File.ReadAllText(ca.Directory.KeyPath);
        var e = Assert.Throws<OpenChatException>(() => CertificateAuthority.Create(ca.Directory.Path, "Other", ""));
        Assert.Equal(ErrorIds.CaAlreadyExists, e.ErrorId);
        Assert.Equal(before, File.ReadAllText(ca.Directory.KeyPath));
    }

    [Fact]
    public void Replacing_a_ca_keeps_the_old_one_in_an_archive()
    {
        using var ca = new Ca();
        var oldKey = File.ReadAllText(ca.Directory.KeyPath);
        CertificateAuthority.Create(ca.Directory.Path, "Replacement", "", replaceExisting: true);
        var archive = Directory.GetDirectories(ca.Directory.Path, "replaced-*").Single();
        Assert.Equal(oldKey, File.ReadAllText(Path.Combine(archive, CaDirectory.KeyFile)));
        Assert.NotEqual(oldKey, File.ReadAllText(ca.Directory.KeyPath));
        Assert.Contains("Replacement", new CaDirectory(ca.Directory.Path).Certificate.Subject);
    }

    [Fact]
    public void Encrypted_key_needs_the_right_password()
    {
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Locked CA", "correct horse");
        Assert.True(CaKeyFile.IsEncrypted(File.ReadAllText(directory.KeyPath)));

        var missing = Assert.Throws<OpenChatException>(() => CertificateAuthority.Open(directory, ""));
        Assert.Equal(ErrorIds.CaPasswordRequired, missing.ErrorId);
        var wrong = Assert.Throws<OpenChatException>(() => CertificateAuthority.Open(directory, "battery staple"));
        Assert.Equal(ErrorIds.CaPasswordWrong, wrong.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationFailed, wrong.Kind);

        using var ca = CertificateAuthority.Open(directory, "correct horse");
        Assert.Equal("alice", ca.IssueClient("alice").Record.Name);
    }

    [Fact]
    public void Refuses_a_key_that_is_not_the_certificates()
    {
        using var first = new Ca();
        using var second = new Ca();
        File.Copy(second.Directory.KeyPath, first.Directory.KeyPath, overwrite: true);
        var e = Assert.Throws<OpenChatException>(() => CertificateAuthority.Open(new CaDirectory(first.Directory.Path), ""));
        Assert.Equal(ErrorIds.CaKeyInvalid, e.ErrorId);
    }

    [Fact]
    public void Opening_a_directory_without_a_ca_says_so()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<OpenChatException>(() => CertificateAuthority.Open(new CaDirectory(temp.Path), ""));
        Assert.Equal(ErrorIds.CaNotFound, e.ErrorId);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" padded ")]
    [InlineData("line\nbreak")]
    public void Refuses_bad_ca_names(string name)
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<OpenChatException>(() => CertificateAuthority.Create(temp.Combine("ca"), name, ""));
        Assert.Equal(ErrorIds.CaNameInvalid, e.ErrorId);
        Assert.False(Directory.Exists(temp.Combine("ca")));
    }

    [Fact]
    public void Client_certificate_has_the_client_profile()
    {
        using var ca = new Ca();
        var cert = ca.Authority.IssueClient("alice").Certificate;

        Assert.True(cert.HasPrivateKey);
        Assert.Equal("CN=alice", cert.Subject);
        Assert.Equal(ca.Directory.Certificate.Subject, cert.Issuer);
        var basic = cert.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.False(basic.CertificateAuthority);
        Assert.True(basic.Critical);
        var usage = cert.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.True(usage.Critical);
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(new[] { CertificateProfile.ClientAuthOid }, eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!).ToArray());
        var aki = cert.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single();
        var caSki = ca.Directory.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
        Assert.Equal(caSki.SubjectKeyIdentifier, Convert.ToHexString(aki.KeyIdentifier!.Value.Span));
        Assert.NotNull(cert.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
        Assert.True(CertificateProfile.IsP256(cert.PublicKey));
    }

    [Fact]
    public void Issued_certificates_chain_to_the_ca_only()
    {
        using var ca = new Ca();
        using var other = new Ca();
        var cert = ca.Authority.IssueClient("alice").Certificate;
        Assert.True(Chains(cert, ca.Directory.Certificate));
        Assert.False(Chains(cert, other.Directory.Certificate));
    }

    [Fact]
    public void Serials_are_random_positive_and_at_least_64_bits()
    {
        using var ca = new Ca();
        var serials = Enumerable.Range(0, 20).Select(i => ca.Authority.IssueClient($"user{i}").Record.Serial).ToList();
        Assert.Equal(serials.Count, serials.Distinct().Count());
        foreach (var serial in serials)
        {
            var bytes = Convert.FromHexString(serial);
            Assert.True(bytes.Length * 8 >= 64);
            Assert.True(bytes[0] < 0x80, "serial must be positive");
            Assert.True(bytes[0] >= 0x40, "serial must keep its full length");
        }
    }

    [Fact]
    public void Validity_is_bounded_by_the_cas()
    {
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Short CA", "", validDays: 30);
        using var ca = CertificateAuthority.Open(directory, "");
        var issued = ca.IssueClient("alice", validDays: 365);
        Assert.True(issued.Certificate.NotAfter <= directory.Certificate.NotAfter);
        Assert.True(issued.Certificate.NotBefore >= directory.Certificate.NotBefore);
    }

    [Fact]
    public void An_expired_ca_issues_nothing()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Brief CA", "", validDays: 1, time: time);
        using var ca = CertificateAuthority.Open(directory, "", time);
        time.Advance(TimeSpan.FromDays(2));
        var e = Assert.Throws<OpenChatException>(() => ca.IssueClient("alice"));
        Assert.Equal(ErrorIds.CaExpired, e.ErrorId);
        Assert.Empty(directory.Store.FindCertificates());
    }

    [Fact]
    public void A_ca_issues_nothing_before_it_is_valid()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Future CA", "", time: time);
        using var ca = CertificateAuthority.Open(directory, "", time);
        time.Advance(TimeSpan.FromDays(-1));
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.IssueClient("alice")).ErrorId);
        Assert.Empty(directory.Store.FindCertificates());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(CertificateAuthority.MaxLeafValidDays + 1)]
    public void Refuses_out_of_range_validity(int days)
    {
        using var ca = new Ca();
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("alice", days));
        Assert.Equal(ErrorIds.ValidityInvalid, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_name_with_a_valid_certificate_is_taken_case_insensitively()
    {
        using var ca = new Ca();
        ca.Authority.IssueClient("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("ALICE"));
        Assert.Equal(ErrorIds.UserNameTaken, e.ErrorId);
        Assert.Single(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_second_device_is_allowed_when_asked_for()
    {
        using var ca = new Ca();
        ca.Authority.IssueClient("alice");
        ca.Authority.IssueClient("alice", additionalDevice: true);
        Assert.Equal(2, ca.Registry.Find(CertificateKind.Client, "alice").Count);
    }

    [Fact]
    public void A_revoked_name_can_be_issued_again()
    {
        using var ca = new Ca();
        var first = ca.Authority.IssueClient("alice");
        ca.Registry.Revoke(first.Record.Serial);
        var second = ca.Authority.IssueClient("alice");
        Assert.NotEqual(first.Record.Serial, second.Record.Serial);
    }

    [Fact]
    public void Reserved_and_invalid_names_are_not_issued()
    {
        using var ca = new Ca();
        Assert.Equal(ErrorIds.UserNameReserved, Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("system")).ErrorId);
        Assert.Equal(ErrorIds.UserNameInvalid, Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("bad name")).ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_user_cannot_take_the_servers_name()
    {
        using var ca = new Ca();
        ca.Authority.IssueServer(["chathost"], [], install: false);
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("chathost"));
        Assert.Equal(ErrorIds.UserNameReserved, e.ErrorId);
        Assert.Empty(ca.Registry.Find(CertificateKind.Client));
    }

    [Fact]
    public void Every_server_name_is_refused_as_a_user_name()
    {
        using var ca = new Ca();
        ca.Authority.IssueServer(["chat.example.org", "chat"], [], install: false);
        Assert.Equal(ErrorIds.UserNameReserved, Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("Chat")).ErrorId);
        Assert.Equal(ErrorIds.UserNameReserved, Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("chat.example.org")).ErrorId);
        Assert.Equal(ErrorIds.UserNameReserved, Assert.Throws<OpenChatException>(() => ca.Invites.Create("chat")).ErrorId);
        Assert.Empty(ca.Registry.Find(CertificateKind.Client));
    }

    [Fact]
    public void An_installed_server_certificate_is_replaced_only_when_asked()
    {
        using var ca = new Ca();
        var first = ca.Authority.IssueServer(["chathost"], []);
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueServer(["chathost"], []));
        Assert.Equal(ErrorIds.ServerCertificateExists, e.ErrorId);
        Assert.Contains(first.Certificate.ExportCertificatePem(), File.ReadAllText(ca.Directory.ServerCertificatePath));
        var second = ca.Authority.IssueServer(["chathost"], [], replaceInstalled: true);
        Assert.Contains(second.Certificate.ExportCertificatePem(), File.ReadAllText(ca.Directory.ServerCertificatePath));
    }

    [Fact]
    public void Server_certificate_has_names_and_server_auth_and_is_installed()
    {
        using var ca = new Ca();
        var issued = ca.Authority.IssueServer(["chat.example.org", "localhost"], [System.Net.IPAddress.Loopback]);
        var cert = issued.Certificate;
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(new[] { CertificateProfile.ServerAuthOid }, eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!).ToArray());
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["chat.example.org", "localhost"], san.EnumerateDnsNames().ToArray());
        Assert.Equal([System.Net.IPAddress.Loopback], san.EnumerateIPAddresses().ToArray());
        Assert.True(cert.MatchesHostname("chat.example.org"));
        Assert.False(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);

        var installed = X509Certificate2.CreateFromPemFile(ca.Directory.ServerCertificatePath, ca.Directory.ServerKeyPath);
        Assert.Equal(cert.Thumbprint, installed.Thumbprint);
        Assert.True(installed.HasPrivateKey);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ca.Directory.ServerKeyPath));
        }
    }

    [Fact]
    public void Server_certificate_defaults_to_local_names()
    {
        using var ca = new Ca();
        var cert = ca.Authority.IssueServer([], [], install: false).Certificate;
        Assert.True(cert.MatchesHostname("localhost"));
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains(System.Net.IPAddress.Loopback, san.EnumerateIPAddresses());
    }

    [Theory]
    [InlineData("*.example.org")]
    [InlineData("bad_name.example")]
    [InlineData("-leading.example")]
    [InlineData("")]
    public void Refuses_bad_server_names(string name)
    {
        using var ca = new Ca();
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueServer([name], [], install: false));
        Assert.Equal(ErrorIds.ServerNameInvalid, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void Issued_certificates_are_stored_with_their_details()
    {
        using var ca = new Ca();
        var issued = ca.Authority.IssueClient("alice");
        var stored = ca.Directory.Store.GetCertificate(issued.Record.Serial)!;
        Assert.Equal(issued.Certificate.Thumbprint, stored.Thumbprint);
        Assert.Equal(issued.Certificate.RawData, stored.RawData);
        Assert.Equal(CertificateStatus.Valid, stored.StatusAt(DateTimeOffset.UtcNow));
    }

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
