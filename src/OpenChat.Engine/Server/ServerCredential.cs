using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Server;

/// <summary>One server certificate as handshakes use it: the certificate with its key, its TLS
/// context (built once per certificate: building it per connection costs handshakes) and the
/// SHA-256 of the certificate, which an enrollment proof on a connection that saw it is bound to.
/// During a CA rollover's overlap the context is built from the cross-certificate and the previous
/// root instead of the current root, so the handshake sends leaf and cross-certificate: a client
/// that pins only the previous root builds leaf, cross-certificate, previous root (one that pins
/// the current root ends at it directly, since the cross-certificate carries the same key).</summary>
internal sealed class ServerCredential(X509Certificate2 certificate, X509Certificate2 ca, Pki.PreviousRoot? previous = null)
{
    public X509Certificate2 Certificate { get; } = certificate;

    public SslStreamCertificateContext Context { get; } = SslStreamCertificateContext.Create(certificate,
        previous is null ? [ca] : [previous.Cross, previous.Certificate], offline: true);

    public byte[] Hash { get; } = SHA256.HashData(certificate.RawData);
}
