using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>A certificate file from the admin becomes an identity only under the CA it is pinned to.</summary>
public sealed class CertificateRegistrationTests : IDisposable
{
    private const string FilePassword = "file pass";
    private readonly TempDirectory _temp = new();
    private readonly Ca _ca = new();

    public CertificateRegistrationTests() => Directory.CreateDirectory(_temp.Path);

    public void Dispose()
    {
        _ca.Dispose();
        _temp.Dispose();
    }

    private byte[] Fingerprint => _ca.Directory.Fingerprint;

    private string Pfx(X509Certificate2 certificate, X509Certificate2? ca, string password = FilePassword, string name = "id.pfx")
    {
        var bundle = new X509Certificate2Collection { certificate };
        if (ca is not null)
        {
            bundle.Add(X509CertificateLoader.LoadCertificate(ca.RawData));
        }

        var path = _temp.Combine(name);
        File.WriteAllBytes(path, bundle.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password));
        return path;
    }

    private ChatProfile Register(string path, byte[]? fingerprint, string password = FilePassword, string? keyPath = null)
    {
        using var file = IdentityFile.Read(path, password, keyPath);
        return CertificateRegistration.Register(file, "localhost:7443", fingerprint, _temp.Combine("home"), "");
    }

    private static string ErrorOf(Action action) => Assert.Throws<OpenChatException>(action).ErrorId;

    [Fact]
    public void A_pfx_with_the_ca_inside_becomes_a_profile_pinned_to_that_ca()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        var profile = Register(Pfx(issued, _ca.Directory.Certificate), fingerprint: null);

        Assert.Equal("alice", profile.UserName);
        Assert.Equal("localhost:7443", profile.Server);
        Assert.Equal(Fingerprint, profile.CaFingerprint);
        using var identity = profile.LoadIdentity([]);
        Assert.True(identity.HasPrivateKey);
        Assert.Equal(issued.Thumbprint, identity.Thumbprint);
    }

    [Fact]
    public void A_fingerprint_given_must_be_that_of_the_ca_in_the_file()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        var path = Pfx(issued, _ca.Directory.Certificate);
        var other = SHA256.HashData("another CA"u8);

        Assert.Equal(ErrorIds.CaFingerprintMismatch, ErrorOf(() => Register(path, other)));
        Assert.False(Directory.Exists(_temp.Combine("home")));
        Assert.Equal("alice", Register(path, Fingerprint).UserName);
    }

    [Fact]
    public void A_certificate_from_another_ca_is_refused_even_with_the_pinned_ca_beside_it()
    {
        using var stranger = new Ca();
        using var foreign = stranger.Authority.IssueClient("mallory").Certificate;

        Assert.Equal(ErrorIds.CertificateNotFromCa, ErrorOf(() => Register(Pfx(foreign, _ca.Directory.Certificate), Fingerprint)));
    }

    [Fact]
    public void A_wrong_file_password_is_refused()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        var path = Pfx(issued, _ca.Directory.Certificate);

        Assert.Equal(ErrorIds.CertificatePasswordWrong, ErrorOf(() => Register(path, null, password: "wrong")));
        Assert.Equal(ErrorIds.CertificatePasswordWrong, ErrorOf(() => Register(path, null, password: "")));
    }

    [Fact]
    public void A_server_certificate_is_not_a_chat_identity()
    {
        using var server = _ca.Authority.IssueServer(["localhost"], [], replaceInstalled: true).Certificate;

        Assert.Equal(ErrorIds.CertificateNotForClients, ErrorOf(() => Register(Pfx(server, _ca.Directory.Certificate), Fingerprint)));
    }

    [Fact]
    public void A_file_without_a_ca_and_no_fingerprint_pins_nothing_and_is_refused()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;

        Assert.Equal(ErrorIds.CaFingerprintRequired, ErrorOf(() => Register(Pfx(issued, ca: null), null)));
    }

    [Fact]
    public void A_pfx_that_opens_with_any_password_cannot_vouch_for_its_ca()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        var path = _temp.Combine("open.pfx");
        File.WriteAllBytes(path, new X509Certificate2Collection { issued, X509CertificateLoader.LoadCertificate(_ca.Directory.Certificate.RawData) }.Export(X509ContentType.Pkcs12)!);

        Assert.Equal(ErrorIds.CaFingerprintRequired, ErrorOf(() => Register(path, null, password: "")));
        Assert.Equal("alice", Register(path, Fingerprint, password: "").UserName);
    }

    [Fact]
    public void A_pfx_stripped_of_its_mac_cannot_vouch_for_its_ca_even_when_it_opens_with_the_real_password()
    {
        // What someone on the way can do without the password: drop the MAC (and then add their
        // own CA unencrypted beside the parts they cannot read). The loader opens such a file.
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        var real = File.ReadAllBytes(Pfx(issued, _ca.Directory.Certificate));
        var pfx = new System.Formats.Asn1.AsnReader(real, System.Formats.Asn1.AsnEncodingRules.BER).ReadSequence();
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(pfx.ReadInteger());
            writer.WriteEncodedValue(pfx.ReadEncodedValue().Span);
        }

        var stripped = _temp.Combine("stripped.pfx");
        File.WriteAllBytes(stripped, writer.Encode());
        Assert.True(IdentityFile.HasMac(real));
        Assert.False(IdentityFile.HasMac(File.ReadAllBytes(stripped)));
        Assert.NotEmpty(X509CertificateLoader.LoadPkcs12Collection(File.ReadAllBytes(stripped), FilePassword)); // it does open

        Assert.Equal(ErrorIds.CaFingerprintRequired, ErrorOf(() => Register(stripped, null)));
        Assert.Equal("alice", Register(stripped, Fingerprint).UserName); // the admin's fingerprint still pins it
    }

    [Fact]
    public void A_pem_certificate_from_a_csr_needs_the_fingerprint_and_its_own_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=dave", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var signed = _ca.Authority.SignRequest(csr, "dave").Certificate;
        var pem = _temp.Combine("dave.crt.pem");
        File.WriteAllText(pem, signed.ExportCertificatePem() + "\n" + _ca.Directory.Certificate.ExportCertificatePem() + "\n");
        var keyFile = _temp.Combine("dave.key");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        var wrongKeyFile = _temp.Combine("other.key");
        using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(wrongKeyFile, other.ExportPkcs8PrivateKeyPem());
        }

        Assert.Equal(ErrorIds.CaFingerprintRequired, ErrorOf(() => Register(pem, null, keyPath: keyFile)));
        Assert.Equal(ErrorIds.CertificateFileInvalid, ErrorOf(() => Register(pem, Fingerprint)));
        Assert.Equal(ErrorIds.CertificateFileInvalid, ErrorOf(() => Register(pem, Fingerprint, keyPath: wrongKeyFile)));
        Assert.Equal("dave", Register(pem, Fingerprint, keyPath: keyFile).UserName);
    }

    [Fact]
    public void Fingerprints_are_read_with_or_without_colons_and_anything_else_is_refused()
    {
        var formatted = Engine.Pki.CaDirectory.FormatFingerprint(Fingerprint);

        Assert.Equal(Fingerprint, CertificateRegistration.ParseFingerprint(formatted));
        Assert.Equal(Fingerprint, CertificateRegistration.ParseFingerprint(Convert.ToHexStringLower(Fingerprint)));
        Assert.Equal(ErrorIds.CaFingerprintInvalid, ErrorOf(() => CertificateRegistration.ParseFingerprint("AB:CD")));
    }
}
