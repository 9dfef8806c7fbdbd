using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>
/// Renews the certificate a connection speaks for (RenewCertificate, answered with
/// CertificateRenewed or Error) and rebinds the connection to the renewed one. The request is
/// authenticated by the connection itself: its TLS handshake proved possession of the current
/// certificate's key; a new key is proved by its CSR. A connection whose certificate expired
/// within the grace window is served here alone: it may ping and renew, nothing else.
/// </summary>
internal sealed class CertificateRenewalEndpoint(CertificateAuthority ca, Func<TimeSpan> grace, ILogger log)
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _refusals = new("RenewalRefused");

    /// <summary>Everything a renewal-only connection sends.</summary>
    public void ServeRenewalOnly(ClientConnection connection, Frame frame)
    {
        // Judged by type before the payload is read, as on an enrollment connection.
        if (frame.Type is not (MessageType.Ping or MessageType.RenewCertificate))
        {
            connection.Close(ErrorIds.RenewalOnly,
                "Your certificate has expired: this connection can only renew it. Renew (Update-ChatIdentity), then connect again.");
            return;
        }

        switch (MessageCodec.Decode(frame))
        {
            case Ping ping:
                connection.Send(new Pong(ping.Nonce));
                return;
            case RenewCertificate request:
                Renew(connection, request);
                return;
            case var message:
                throw MessageCodec.Unexpected(message, "a renewal-only connection");
        }
    }

    /// <summary>Renews the connection's certificate; called by the connection's reader, so no
    /// other frame of it is handled meanwhile: what it sent before is stamped with the old
    /// serial, what it sends after the reply with the new one.</summary>
    public void Renew(ClientConnection connection, RenewCertificate request)
    {
        var identity = connection.Identity!;
        if (!connection.Renewals.TryTake())
        {
            connection.Send(new ErrorReply(request.Tag, ErrorIds.RateLimited, "Too many renewals on this connection; try again in a minute."));
            return;
        }

        try
        {
            using var current = X509CertificateLoader.LoadCertificate(connection.Certificate);
            var csr = request.CertificateRequest.Length == 0 ? null : PemEncoding.WriteString("CERTIFICATE REQUEST", request.CertificateRequest);
            var issued = ca.RenewClient(current, csr, grace());
            using var renewed = issued.Certificate;
            using var key = renewed.GetECDsaPublicKey();
            var rebound = new PeerIdentity(issued.Record.Name, issued.Record.Serial, issued.Record.NotAfter, key is null ? null : Crypto.Signatures.PublicPoint(key),
                issued.Record.RenewedFrom);
            connection.Rebind(rebound, renewed.RawData);
            connection.Send(new CertificateRenewed(request.Tag, renewed.RawData));
            RenewalLog.ConnectionRenewed(log, identity.UserName, connection.RemoteAddress, identity.Serial, rebound.Serial);
        }
        catch (OpenChatException e)
        {
            if (_refusals.Admit(log))
            {
                RenewalLog.RenewalRefused(log, identity.UserName, connection.RemoteAddress, identity.Serial, e.ErrorId);
            }

            connection.Send(new ErrorReply(request.Tag, e.ErrorId, e.Message));
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or CryptographicException)
        {
            // The user gets an answer (and keeps the certificate it has); the admin gets the cause.
            log.Failed(e, "server.renewal");
            connection.Send(new ErrorReply(request.Tag, ErrorIds.StoreUnavailable, "The server could not renew the certificate; try again later."));
        }
    }
}
