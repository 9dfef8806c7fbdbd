namespace OpenChat.Engine.Protocol;

/// <summary>Asks the server to renew the certificate this connection's TLS handshake presented.
/// An empty <see cref="CertificateRequest"/> keeps the key; otherwise it is the DER of a CSR for
/// the device's next key (subject CN = the same user).</summary>
public sealed record RenewCertificate(uint Tag, byte[] CertificateRequest) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.RenewCertificate, 1024).U32(Tag).Bytes(CertificateRequest).ToFrame();

    public static RenewCertificate Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new RenewCertificate(r.U32(), r.Bytes());
        r.End();
        return m;
    }
}

/// <summary>The renewed certificate (DER). The server has rebound the connection to it: what
/// the connection publishes from now on carries its serial.</summary>
public sealed record CertificateRenewed(uint Tag, byte[] Certificate) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.CertificateRenewed, 1024).U32(Tag).Bytes(Certificate).ToFrame();

    public static CertificateRenewed Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new CertificateRenewed(r.U32(), r.Bytes());
        r.End();
        return m;
    }
}
