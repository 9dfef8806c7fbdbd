using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class CsrPolicyTests
{
    [Fact]
    public void Signs_a_valid_request_keeping_only_its_key()
    {
        using var ca = new Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=alice", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var issued = ca.Authority.SignRequest(csr, "alice");
        Assert.False(issued.Certificate.HasPrivateKey);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), issued.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal("CN=alice", issued.Certificate.Subject);
        Assert.NotNull(ca.Directory.Store.GetCertificate(issued.Record.Serial));
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "rsa key", Requests.Rsa("CN=alice"), ErrorIds.CsrKeyNotAllowed },
        { "p-384 key", Requests.EcP384("CN=alice"), ErrorIds.CsrKeyNotAllowed },
        { "other subject", Requests.EcP256("CN=mallory"), ErrorIds.CsrSubjectMismatch },
        { "extra attribute", Requests.EcP256("CN=alice, O=Evil"), ErrorIds.CsrSubjectMismatch },
        { "two common names", Requests.EcP256("CN=alice, CN=bob"), ErrorIds.CsrSubjectMismatch },
        { "no subject", Requests.EcP256(""), ErrorIds.CsrSubjectMismatch },
        { "broken signature", Requests.WithBrokenSignature("CN=alice"), ErrorIds.CsrSignatureInvalid },
        { "garbage", "hello", ErrorIds.CsrMalformed },
        { "certificate instead of request", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", ErrorIds.CsrMalformed },
        { "oversized", "-----BEGIN CERTIFICATE REQUEST-----\n" + new string('A', 20000) + "\n-----END CERTIFICATE REQUEST-----", ErrorIds.CsrMalformed },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Refuses_requests_that_break_policy_and_stores_nothing(string why, string csr, string errorId)
    {
        using var ca = new Ca();
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.SignRequest(csr, "alice"));
        Assert.True(errorId == e.ErrorId, $"{why}: expected {errorId}, got {e.ErrorId}");
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void Subject_case_may_differ_and_the_requested_spelling_wins()
    {
        using var ca = new Ca();
        var cert = ca.Authority.SignRequest(Requests.EcP256("CN=alice"), "Alice").Certificate;
        Assert.Equal("CN=Alice", cert.Subject);
    }

    [Fact]
    public void Requested_extensions_are_never_copied()
    {
        using var ca = new Ca();
        var csr = Requests.EcP256("CN=alice", request =>
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(CertificateProfile.ServerAuthOid) }, false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("chat.example.org");
            request.CertificateExtensions.Add(san.Build());
        });
        var cert = ca.Authority.SignRequest(csr, "alice").Certificate;
        Assert.False(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(new[] { CertificateProfile.ClientAuthOid },
            cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!).ToArray());
        Assert.Empty(cert.Extensions.OfType<X509SubjectAlternativeNameExtension>());
    }

    [Fact]
    public void A_valid_request_for_a_taken_name_is_refused()
    {
        using var ca = new Ca();
        ca.Authority.IssueClient("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.SignRequest(Requests.EcP256("CN=alice"), "alice"));
        Assert.Equal(ErrorIds.UserNameTaken, e.ErrorId);
        Assert.Single(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_request_for_a_reserved_name_is_refused()
    {
        using var ca = new Ca();
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.SignRequest(Requests.EcP256("CN=server"), "server"));
        Assert.Equal(ErrorIds.UserNameReserved, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }
}
