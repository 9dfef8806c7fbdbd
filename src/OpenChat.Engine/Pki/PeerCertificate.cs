using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>
/// Loads a certificate another member supplied (in a key package or a handover) and reads every
/// field the checks use at once. .NET parses some fields only when first asked (a validity date
/// that is not a date throws from NotBefore), so without this a damaged certificate loads and
/// then throws from the middle of a check; found by fuzzing. Any such damage is a
/// <see cref="CryptographicException"/> here, where the callers refuse it as unreadable.
/// </summary>
internal static class PeerCertificate
{
    public static X509Certificate2 Load(byte[] der)
    {
        var certificate = X509CertificateLoader.LoadCertificate(der);
        try
        {
            _ = certificate.NotBefore;
            _ = certificate.NotAfter;
            _ = certificate.SerialNumber;
            _ = certificate.Thumbprint;
            _ = certificate.SubjectName.Name;
            _ = certificate.IssuerName.Name;
            _ = certificate.GetNameInfo(X509NameType.SimpleName, false);
            _ = certificate.PublicKey.ExportSubjectPublicKeyInfo();
            foreach (var extension in certificate.Extensions)
            {
                _ = extension.Oid?.Value;
            }

            return certificate;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            certificate.Dispose();
            throw new CryptographicException("The certificate cannot be read.", e);
        }
    }
}
