using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The extensions the CA puts on each kind of certificate. They are always set here and never
/// taken from a request, so a requester cannot ask for CA rights or server authentication.
/// </summary>
public static class CertificateProfile
{
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    // A path length of one leaves room for one cross-certificate under the root (CaRollover):
    // verifiers such as OpenSSL enforce a root's path length, and zero would refuse leaf -> cross -> root.
    public const int RootPathLength = 1;

    public static void ApplyRoot(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, RootPathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    /// <summary>A cross-certificate: one root certifying another root's name and key. It may sign
    /// leaves only (path length zero), with the subject key identifier of the key it certifies, so
    /// leaves of that root chain through it.</summary>
    public static void ApplyCross(CertificateRequest request, X509Certificate2 issuer)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
    }

    public static void ApplyClient(CertificateRequest request, X509Certificate2 issuer)
    {
        ApplyLeaf(request, issuer, ClientAuthOid);
    }

    public static void ApplyServer(CertificateRequest request, X509Certificate2 issuer, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        ApplyLeaf(request, issuer, ServerAuthOid);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (var address in addresses)
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build(critical: false));
    }

    private static void ApplyLeaf(CertificateRequest request, X509Certificate2 issuer, string ekuOid)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(ekuOid) }, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
    }

    /// <summary>A random positive serial of 126 bits. The top byte is forced into 0x40..0x7F so
    /// the DER integer is always 16 bytes and never negative.</summary>
    public static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x40);
        return serial;
    }

    public static HashAlgorithmName HashFor(ECDsa caKey) =>
        caKey.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    /// <summary>True when <paramref name="certificate"/> has an EC public key on NIST P-256.</summary>
    public static bool IsP256(PublicKey key)
    {
        if (key.Oid.Value != "1.2.840.10045.2.1")
        {
            return false;
        }

        using var ec = key.GetECDsaPublicKey();
        if (ec is null)
        {
            return false;
        }

        var curve = ec.ExportParameters(false).Curve;
        return curve.IsNamed && (curve.Oid.Value == "1.2.840.10045.3.1.7" || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1");
    }
}
