using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Certificate signing requests built the way a client (or an attacker) would.</summary>
public static class Requests
{
    public static string EcP256(string subject = "CN=alice", Action<CertificateRequest>? extend = null) =>
        Make(ECDsa.Create(ECCurve.NamedCurves.nistP256), subject, extend);

    public static string EcP384(string subject = "CN=alice") => Make(ECDsa.Create(ECCurve.NamedCurves.nistP384), subject, null);

    public static string Rsa(string subject = "CN=alice")
    {
        using var rsa = RSA.Create(2048);
        return new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
    }

    /// <summary>A valid request whose signature has one bit flipped.</summary>
    public static string WithBrokenSignature(string subject = "CN=alice")
    {
        var pem = EcP256(subject);
        var fields = PemEncoding.Find(pem);
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        der[^3] ^= 0x01; // the last bytes are the signature's S value

        return PemEncoding.WriteString("CERTIFICATE REQUEST", der);
    }

    private static string Make(ECDsa key, string subject, Action<CertificateRequest>? extend)
    {
        using (key)
        {
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            extend?.Invoke(request);
            return request.CreateSigningRequestPem();
        }
    }
}
