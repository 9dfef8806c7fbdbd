using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class ServerBootstrapTests
{
    [Fact]
    public void A_bare_directory_gets_a_ca_and_a_server_certificate_it_issued()
    {
        using var temp = new TempDirectory();
        var directory = new CaDirectory(temp.Combine("data"));

        var (authority, certificate) = ServerBootstrap.Ensure(directory, "");
        using (authority)
        using (certificate)
        {
            Assert.True(File.Exists(directory.CertificatePath));
            Assert.True(File.Exists(directory.ServerKeyPath));
            Assert.Equal("CN=" + ServerBootstrap.DefaultCaName, directory.Certificate.Subject);
            Assert.True(certificate.HasPrivateKey);
            Assert.Equal(directory.Certificate.Subject, certificate.Issuer);
            var record = Assert.Single(directory.Store.FindCertificates(CertificateKind.Server));
            Assert.Equal(certificate.Thumbprint, record.Thumbprint);
        }
    }

    [Fact]
    public void A_ca_without_a_server_certificate_gets_one_issued_by_that_ca()
    {
        using var temp = new TempDirectory();
        var created = CertificateAuthority.Create(temp.Combine("data"), "Existing CA", "secret");
        var caThumbprint = created.Certificate.Thumbprint;
        var directory = new CaDirectory(created.Path);

        var (authority, certificate) = ServerBootstrap.Ensure(directory, "secret");
        using (authority)
        using (certificate)
        {
            Assert.Equal(caThumbprint, directory.Certificate.Thumbprint);
            Assert.Equal("CN=Existing CA", certificate.Issuer);
            Assert.Equal(certificate.Thumbprint, Assert.Single(directory.Store.FindCertificates(CertificateKind.Server)).Thumbprint);
        }
    }

    [Fact]
    public void A_directory_with_a_ca_and_a_server_certificate_keeps_both()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("data");
        string caThumbprint, serverThumbprint;
        var (first, firstCertificate) = ServerBootstrap.Ensure(new CaDirectory(path), "");
        using (first)
        using (firstCertificate)
        {
            caThumbprint = first.Directory.Certificate.Thumbprint;
            serverThumbprint = firstCertificate.Thumbprint;
        }

        var directory = new CaDirectory(path);
        var (second, secondCertificate) = ServerBootstrap.Ensure(directory, "");
        using (second)
        using (secondCertificate)
        {
            Assert.Equal(caThumbprint, directory.Certificate.Thumbprint);
            Assert.Equal(serverThumbprint, secondCertificate.Thumbprint);
            Assert.Single(directory.Store.FindCertificates(CertificateKind.Server));
        }
    }

    [Fact]
    public void A_wrong_ca_password_is_refused_and_nothing_is_issued()
    {
        using var temp = new TempDirectory();
        var created = CertificateAuthority.Create(temp.Combine("data"), "Locked CA", "correct horse");

        var e = Assert.Throws<OpenChatException>(() => ServerBootstrap.Ensure(new CaDirectory(created.Path), "battery staple"));

        Assert.Equal(ErrorIds.CaPasswordWrong, e.ErrorId);
        Assert.False(File.Exists(created.ServerCertificatePath));
        Assert.Empty(created.Store.FindCertificates());
    }
}
