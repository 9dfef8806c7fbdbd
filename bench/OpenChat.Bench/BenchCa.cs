using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Bench;

/// <summary>A throw-away data directory with a CA and as many user certificates as a run needs,
/// issued directly (no enrollment round trips) so setup stays out of the measurement.</summary>
internal sealed class BenchCa : IDisposable
{
    private readonly CertificateAuthority _ca;
    private readonly List<string> _nodeCopies = [];

    /// <param name="database">An Npgsql connection string: the CA's store lives there (a
    /// deployment of nodes on PostgreSQL) instead of in SQLite inside the directory.</param>
    public BenchCa(string? database = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "openchat-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory = CertificateAuthority.Create(Path, "Bench CA", "", stores: database is null ? null : new OpenChat.Engine.Storage.Postgres.PostgresCaStoreFactory(database));
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

    /// <summary>A further node's data directory: a copy of the files a node needs, as an admin makes it.</summary>
    public string NodeCopy()
    {
        var copy = Path + "-node" + (_nodeCopies.Count + 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        System.IO.Directory.CreateDirectory(copy);
        _nodeCopies.Add(copy);
        foreach (var file in CaDirectory.NodeFiles)
        {
            File.Copy(System.IO.Path.Combine(Path, file), System.IO.Path.Combine(copy, file));
        }

        return copy;
    }

    public void Dispose()
    {
        _ca.Dispose();
        foreach (var folder in _nodeCopies.Prepend(Path))
        {
            try
            {
                System.IO.Directory.Delete(folder, true);
            }
            catch (IOException)
            {
            }
        }
    }
}
