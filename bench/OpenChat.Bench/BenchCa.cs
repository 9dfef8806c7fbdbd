using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Bench;

/// <summary>A throw-away data directory with a CA and as many user certificates as a run needs,
/// issued directly (no enrollment round trips) so setup stays out of the measurement.</summary>
internal sealed class BenchCa : IDisposable
{
    private readonly CertificateAuthority _ca;

    public BenchCa()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "openchat-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory = CertificateAuthority.Create(Path, "Bench CA", "");
        _ca = CertificateAuthority.Open(Directory, "");
        _ca.IssueServer([], []).Certificate.Dispose();
        CaCertificate = X509CertificateLoader.LoadCertificate(Directory.Certificate.RawData);
    }

    public string Path { get; }

    public CaDirectory Directory { get; }

    public X509Certificate2 CaCertificate { get; }

    public byte[] Fingerprint => Directory.Fingerprint;

    public X509Certificate2 ServerCertificate => X509Certificate2.CreateFromPemFile(Directory.ServerCertificatePath, Directory.ServerKeyPath);

    public List<X509Certificate2> Users(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i =>
        {
            using var issued = _ca.IssueClient($"{prefix}{i}").Certificate;
            // Through PKCS#12 so SslStream can use the key for client authentication.
            return X509CertificateLoader.LoadPkcs12(issued.Export(X509ContentType.Pkcs12), null);
        }).ToList();

    public void Dispose()
    {
        _ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Path, true);
        }
        catch (IOException)
        {
        }
    }
}
