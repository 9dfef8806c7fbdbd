using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

public sealed partial class ChatProfile
{
    /// <summary>Stores a renewed certificate for the same key: the certificate file (written whole
    /// under a temporary name, then renamed), then profile.json's serial. A crash between the two
    /// leaves a certificate that matches the key, which is all a connection needs.</summary>
    internal void ReplaceCertificate(X509Certificate2 renewed)
    {
        SecureFile.WriteAllText(System.IO.Path.Combine(Path, CertificateFile), renewed.ExportCertificatePem(), overwrite: true);
        Info.Serial = renewed.SerialNumber;
        SecureFile.WriteAllBytes(System.IO.Path.Combine(Path, InfoFile), JsonSerializer.SerializeToUtf8Bytes(Info, ProfileJson.Default.ProfileInfo), overwrite: true);
    }

    /// <summary>Stores a re-enrollment's certificate (same key) and the CA the invite pinned.
    /// The CA goes first: a crash before the certificate leaves the old certificate, still under
    /// the CA that issued it when the invite's CA is the same one (the usual case).</summary>
    internal void Reenrolled(string server, X509Certificate2 ca, X509Certificate2 certificate)
    {
        SecureFile.WriteAllText(System.IO.Path.Combine(Path, CaFile), ca.ExportCertificatePem(), overwrite: true);
        ForgetRootsOtherThan(ca);
        SecureFile.WriteAllText(System.IO.Path.Combine(Path, CertificateFile), certificate.ExportCertificatePem(), overwrite: true);
        Info.Serial = certificate.SerialNumber;
        Info.Server = server;
        Info.CaFingerprint = Convert.ToHexStringLower(SHA256.HashData(ca.RawData));
        SecureFile.WriteAllBytes(System.IO.Path.Combine(Path, InfoFile), JsonSerializer.SerializeToUtf8Bytes(Info, ProfileJson.Default.ProfileInfo), overwrite: true);
    }

    /// <summary>The certificate joined with its key the way <see cref="LoadIdentity"/> makes one:
    /// through PKCS#12, so SslStream can use the key for client auth on every platform.</summary>
    internal static X509Certificate2 WithKey(X509Certificate2 certificate, ECDsa key)
    {
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    // The roots a CA rollover had the profile pin: kept when they include the CA the invite pins
    // (a re-enrollment during or after an overlap), else dropped, so the profile trusts what the
    // invite pinned and nothing it pinned before (a CA the admin replaced).
    private void ForgetRootsOtherThan(X509Certificate2 ca)
    {
        var list = System.IO.Path.Combine(Path, PinnedRoots.RootsFile);
        if (!File.Exists(list))
        {
            return;
        }

        var pinned = new X509Certificate2Collection();
        pinned.ImportFromPemFile(list);
        if (!pinned.Any(root => root.RawData.AsSpan().SequenceEqual(ca.RawData)))
        {
            File.Delete(list);
        }

        foreach (var root in pinned)
        {
            root.Dispose();
        }
    }
}
