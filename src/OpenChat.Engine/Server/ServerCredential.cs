using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Server;

/// <summary>One server certificate as handshakes use it: the certificate with its key, its TLS
/// context (built once per certificate: building it per connection costs handshakes) and the
/// SHA-256 of the certificate, which an enrollment proof on a connection that saw it is bound to.</summary>
internal sealed class ServerCredential(X509Certificate2 certificate, X509Certificate2 ca)
{
    public X509Certificate2 Certificate { get; } = certificate;

    public SslStreamCertificateContext Context { get; } = SslStreamCertificateContext.Create(certificate, [ca], offline: true);

    public byte[] Hash { get; } = SHA256.HashData(certificate.RawData);
}
