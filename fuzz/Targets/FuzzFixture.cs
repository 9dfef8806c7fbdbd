// The fixed world the certificate-reading targets judge inputs in: a CA, two certificates of one
// user and a clock. The keys are derived from public labels, so a seed written by one process
// still chains and verifies in the fuzzing process; they protect nothing and exist only here.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine.Pki;

namespace OpenChat.Fuzz.Targets;

internal static class FuzzFixture
{
    /// <summary>When every input is judged: inside every certificate's validity.</summary>
    public static readonly DateTimeOffset At = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly TimeProvider Clock = new FixedClock(At);

    private static readonly DateTimeOffset NotBefore = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NotAfter = new(2036, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ECDsa CaKey { get; } = KeyFrom("OpenChat fuzz fixture: CA");

    public static X509Certificate2 Ca { get; } = MakeCa();

    public static ECDsa AliceKey { get; } = KeyFrom("OpenChat fuzz fixture: alice, first device key");

    public static ECDsa AliceNextKey { get; } = KeyFrom("OpenChat fuzz fixture: alice, renewed key");

    /// <summary>When the renewed certificate began, and so when alice's handover to it was made.</summary>
    public static readonly DateTimeOffset Renewed = At.AddHours(-2);

    public static X509Certificate2 Alice { get; } = Issue("alice", AliceKey, 0x11, NotBefore);

    public static X509Certificate2 AliceNext { get; } = Issue("alice", AliceNextKey, 0x12, Renewed);

    public static ECDiffieHellman AgreementKey(string label) =>
        ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Scalar(label) });

    public static ECDsa KeyFrom(string label) =>
        ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Scalar(label) });

    // A SHA-256 output is below the P-256 order except with probability about 2^-32; these
    // labels were checked to give valid keys.
    private static byte[] Scalar(string label) => SHA256.HashData(Encoding.UTF8.GetBytes(label));

    private static X509Certificate2 MakeCa()
    {
        var request = new CertificateRequest("CN=OpenChat fuzz CA", CaKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var withKey = request.CreateSelfSigned(NotBefore, NotAfter);
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    private static X509Certificate2 Issue(string user, ECDsa key, byte serial, DateTimeOffset notBefore)
    {
        var request = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CertificateProfile.ClientAuthOid)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        using var issued = request.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(CaKey), notBefore, NotAfter, [serial, 0x4F, 0x43]);
        return issued.CopyWithPrivateKey(key);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
