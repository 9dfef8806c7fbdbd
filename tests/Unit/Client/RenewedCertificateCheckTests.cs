using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>What a client accepts as its renewed certificate: nothing but the one it asked for.</summary>
public class RenewedCertificateCheckTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static byte[] Spki(X509Certificate2 certificate) => certificate.PublicKey.ExportSubjectPublicKeyInfo();

    [Fact]
    public void The_certificate_the_device_asked_for_is_accepted()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var current = ca.Authority.IssueClient("alice", 30).Certificate;
        using var renewed = ca.Authority.RenewClient(current).Certificate;
        RenewedCertificateCheck.Check(renewed, ca.Directory.Certificate, "alice", Spki(current), Start.AddMinutes(1), current);
    }

    [Fact]
    public void A_certificate_for_another_user_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var current = ca.Authority.IssueClient("alice", 30).Certificate;
        using var other = ca.Authority.IssueClient("mallory", 30).Certificate;
        var e = Assert.Throws<OpenChatException>(() => RenewedCertificateCheck.Check(other, ca.Directory.Certificate, "alice", Spki(other), Start, current));
        Assert.Equal(ErrorIds.ServerNotTrusted, e.ErrorId);
        Assert.Contains("mallory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_with_another_key_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var current = ca.Authority.IssueClient("alice", 30).Certificate;
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=alice", next, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var rekeyed = ca.Authority.RenewClient(current, csr).Certificate;
        var e = Assert.Throws<OpenChatException>(() => RenewedCertificateCheck.Check(rekeyed, ca.Directory.Certificate, "alice", Spki(current), Start, current));
        Assert.Contains("another key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_from_another_CA_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var other = new Ca(new ManualTime(Start));
        using var current = ca.Authority.IssueClient("alice", 30).Certificate;
        using var key = current.GetECDsaPublicKey()!;
        var foreign = other.Authority.IssueClient("alice", 30).Certificate;
        using (foreign)
        {
            var e = Assert.Throws<OpenChatException>(() => RenewedCertificateCheck.Check(foreign, ca.Directory.Certificate, "alice", Spki(foreign), Start, current));
            Assert.Contains("pinned CA", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_certificate_that_is_expired_and_no_longer_than_the_current_one_is_refused()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var current = ca.Authority.IssueClient("alice", 30).Certificate;
        var e = Assert.Throws<OpenChatException>(() => RenewedCertificateCheck.Check(current, ca.Directory.Certificate, "alice", Spki(current), Start.AddDays(31), current));
        Assert.Contains("valid only from", e.Message, StringComparison.Ordinal);
    }
}
