using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>
/// All an unauthenticated connection may do: redeem an invite, once (Enroll, answered with
/// Enrolled or Error), and ping. Anything else closes it with NotEnrolled. The log names the user
/// and the outcome's error id, never the invite, the certificate request or the proof.
/// </summary>
internal sealed class EnrollmentEndpoint(CertificateAuthority ca, string caPem, ILogger log, ServerMetrics? metrics = null)
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _refusals = new("EnrollmentRefused");

    public void Serve(ClientConnection connection, Frame frame)
    {
        // Judged by type before the payload is read: a request of an enrolled connection gets
        // NotEnrolled, whatever its payload, rather than a verdict on how it was framed.
        if (frame.Type is not (MessageType.Ping or MessageType.Enroll))
        {
            connection.Close(ErrorIds.NotEnrolled, "This connection has no client certificate: it can only redeem an invite.");
            return;
        }

        switch (MessageCodec.Decode(frame))
        {
            case Ping ping:
                connection.Send(new Pong(ping.Nonce));
                return;
            case Enroll request:
                Enroll(connection, request);
                return;
            case var message:
                throw MessageCodec.Unexpected(message, "an enrollment connection");
        }
    }

    private void Enroll(ClientConnection connection, Enroll request)
    {
        if (connection.Enrolled)
        {
            connection.Close(ErrorIds.NotEnrolled, "One enrollment per connection.");
            return;
        }

        connection.Enrolled = true;

        try
        {
            // The proof must be for this connection: the certificate this server presented in
            // its handshake and the nonce it sent in Welcome.
            var claim = new EnrollmentClaim(request.InviteId, request.UserName, request.CertificateRequest, request.Proof);
            var issued = ca.Enroll(claim, connection.ServerCertificateHash, connection.EnrollmentNonce);
            connection.Send(new Enrolled(request.Tag, issued.Certificate.ExportCertificatePem(), caPem));
            log.EnrollmentSucceeded(issued.Record.Name, connection.RemoteAddress, issued.Record.Serial);
            issued.Certificate.Dispose();
        }
        catch (OpenChatException e)
        {
            metrics?.Refused(e.ErrorId);
            if (_refusals.Admit(log))
            {
                log.EnrollmentRefused(UserNamePolicy.Printable(request.UserName), connection.RemoteAddress, e.ErrorId);
            }

            connection.Send(new ErrorReply(request.Tag, e.ErrorId, e.Message));
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or System.Security.Cryptography.CryptographicException)
        {
            // The enrolling user gets an answer, not a dropped connection; the admin gets the cause.
            log.Failed(e, "server.enrollment");
            metrics?.Refused(ErrorIds.StoreUnavailable);
            metrics?.StoreFailed("enrollment");
            log.EnrollmentRefused(UserNamePolicy.Printable(request.UserName), connection.RemoteAddress, ErrorIds.StoreUnavailable);
            connection.Send(new ErrorReply(request.Tag, ErrorIds.StoreUnavailable, "The server could not complete the enrollment; try again later or ask the admin."));
        }
    }
}
