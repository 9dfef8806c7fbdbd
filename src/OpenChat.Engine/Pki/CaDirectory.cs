using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The server's data directory: where the CA's certificate, key and store live. Everything that
/// does not need the CA's private key (listing, revoking, invites) goes through here, so those
/// operations never ask for the CA password.
/// </summary>
public sealed class CaDirectory
{
    public const string CertificateFile = "ca.crt.pem";
    public const string KeyFile = "ca.key.pem";
    /// <summary>The embedded (SQLite) store's file; another <see cref="ICaStoreFactory"/> may keep none.</summary>
    public const string StoreFile = "openchat.db";
    public const string ServerCertificateFile = "server.crt.pem";
    public const string ServerKeyFile = "server.key.pem";
    public const string CrlFile = "ca.crl.pem";

    /// <summary>What a further node of a deployment on one database starts from: copies of these
    /// (the CA, and the server certificate and key every node presents).</summary>
    public static readonly IReadOnlyList<string> NodeFiles = [CertificateFile, KeyFile, ServerCertificateFile, ServerKeyFile];

    private X509Certificate2? _certificate;
    private ICaStore? _store;

    /// <param name="path">The data directory.</param>
    /// <param name="stores">Where the CA's store lives; by default the PostgreSQL database the
    /// directory names (<see cref="DeploymentDatabase"/>), else SQLite in the directory.</param>
    public CaDirectory(string path, ICaStoreFactory? stores = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        StoreFactory = stores ?? DeploymentDatabase.StoresFor(Path);
    }

    public string Path { get; }

    /// <summary>How this CA's store is created, opened and archived.</summary>
    public ICaStoreFactory StoreFactory { get; }

    public string CertificatePath => System.IO.Path.Combine(Path, CertificateFile);

    public string KeyPath => System.IO.Path.Combine(Path, KeyFile);

    public string StorePath => System.IO.Path.Combine(Path, StoreFile);

    public string ServerCertificatePath => System.IO.Path.Combine(Path, ServerCertificateFile);

    public string ServerKeyPath => System.IO.Path.Combine(Path, ServerKeyFile);

    public string CrlPath => System.IO.Path.Combine(Path, CrlFile);

    /// <summary>True when any part of a CA is already here.</summary>
    public bool HasCa => File.Exists(CertificatePath) || File.Exists(KeyPath) || StoreFactory.Exists(Path);

    public X509Certificate2 Certificate => _certificate ??= LoadCertificate();

    public ICaStore Store => _store ??= OpenStore();

    /// <summary>SHA-256 over the CA certificate's DER encoding: what an invite pins.</summary>
    public byte[] Fingerprint => SHA256.HashData(Certificate.RawData);

    /// <summary>SHA-256 of the installed server certificate's public key (SPKI): what an invite
    /// pins, so that only the holder of today's server key can take an enrollment.</summary>
    public byte[] ServerKeyPin()
    {
        if (!File.Exists(ServerCertificatePath))
        {
            throw new OpenChatException(ErrorIds.ServerCertificateMissing, ErrorKind.InvalidOperation,
                $"'{Path}' has no server certificate yet, and an invite names the server's key. Issue one first with New-ChatCertificate -Path '{Path}' -Server (or start the server once with Start-ChatServer, which issues one).");
        }

        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(ServerCertificatePath));
        return Pki.InviteCode.KeyPin(certificate);
    }

    public static string FormatFingerprint(ReadOnlySpan<byte> fingerprint) =>
        string.Join(':', fingerprint.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Fails with <see cref="ErrorIds.CaNotFound"/> unless a complete CA is here.</summary>
    public void EnsureExists()
    {
        if (!File.Exists(CertificatePath) || !File.Exists(KeyPath) || !StoreFactory.Exists(Path))
        {
            throw new OpenChatException(ErrorIds.CaNotFound, ErrorKind.NotFound,
                $"'{Path}' does not hold an OpenChat certificate authority. Create one with New-ChatCertificateAuthority -Path '{Path}' -Name <name>.");
        }
    }

    private X509Certificate2 LoadCertificate()
    {
        EnsureExists();
        return X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
    }

    private ICaStore OpenStore()
    {
        EnsureExists();
        return StoreFactory.Open(Path);
    }
}
