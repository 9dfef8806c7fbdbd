using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat;

/// <summary>An OpenChat certificate authority: its data directory and root certificate. Never
/// carries the CA's private key.</summary>
public sealed class ChatCertificateAuthority
{
    internal ChatCertificateAuthority(CaDirectory directory)
    {
        var certificate = directory.Certificate;
        Path = directory.Path;
        Name = certificate.GetNameInfo(X509NameType.SimpleName, false);
        Fingerprint = CaDirectory.FormatFingerprint(directory.Fingerprint);
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        using var key = certificate.GetECDsaPublicKey();
        KeyAlgorithm = key?.KeySize > 256 ? CaKeyAlgorithm.P384 : CaKeyAlgorithm.P256;
        KeyEncrypted = CaKeyFile.IsEncrypted(File.ReadAllText(directory.KeyPath));
        CertificatePath = directory.CertificatePath;
        Certificate = X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    public string Name { get; }

    public string Path { get; }

    /// <summary>SHA-256 of the root certificate, as `openssl x509 -fingerprint -sha256` prints it.</summary>
    public string Fingerprint { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public CaKeyAlgorithm KeyAlgorithm { get; }

    public bool KeyEncrypted { get; }

    public string CertificatePath { get; }

    public X509Certificate2 Certificate { get; }

    public override string ToString() => $"{Name} ({Fingerprint})";
}
