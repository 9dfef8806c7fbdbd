using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>
/// A renewal on a connection of its own: what a device does when its certificate has expired
/// (the server lets such a connection renew and nothing else) and what Update-ChatIdentity does
/// with no session open. The request is authenticated by the connection's TLS handshake, which
/// proved possession of the current certificate's key.
/// </summary>
internal static class RenewalExchange
{
    private const uint Tag = 1;

    /// <summary>Connects with <paramref name="identity"/>, asks for its renewal (a new key's
    /// CSR in <paramref name="csrDer"/>, or none) and returns the certificate the server sent, unchecked.</summary>
    /// The roots the server offers on the way (after a CA rollover, the renewal is issued under the
    /// newest) are pinned into <paramref name="pinned"/> on their proofs, as on any connection.
    public static async Task<X509Certificate2> RunAsync(ChatProfile profile, string server, PinnedRoots pinned, X509Certificate2 identity,
        byte[] csrDer, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider time)
    {
        var roots = pinned.RequireLive();
        var opened = await ClientTransport.OpenAsync(server, System.Security.Cryptography.SHA256.HashData(roots[0].RawData), roots[0], identity, timeout, cancellationToken,
            revokedSerials: profile.LoadRevokedSerials(), time: time, additionalRoots: [.. roots.Skip(1)]).ConfigureAwait(false);
        await using var stream = opened.Stream;
        opened.CaCertificate.Dispose();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await stream.WriteAsync(new RenewCertificate(Tag, csrDer).ToFrame(), deadline.Token).ConfigureAwait(false);
            await stream.FlushAsync(deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var frame = await opened.Reader.ReadAsync(deadline.Token).ConfigureAwait(false)
                    ?? throw new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, $"The server at {server} closed the connection before it answered the renewal.");
                switch (MessageCodec.Decode(frame))
                {
                    case CertificateRenewed { Tag: Tag } renewed:
                        return X509CertificateLoader.LoadCertificate(renewed.Certificate);
                    case ErrorReply { Tag: Tag } error:
                        throw new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message);
                    case CaRoots offer:
                        pinned.Adopt(offer);
                        continue;
                    case Bye bye:
                        throw new OpenChatException(bye.Code, ChatEnrollment.KindOf(bye.Code), $"The server closed the connection: {bye.Message}");
                    default:
                        // A certified connection may be sent presence or a direct room's opening meanwhile: not ours to read.
                        continue;
                }
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpenChatException(ErrorIds.Timeout, ErrorKind.Unavailable, $"The server at {server} did not answer the renewal within {timeout.TotalSeconds:0} s.", e);
        }
        catch (IOException e)
        {
            throw new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, $"The connection to {server} was lost during the renewal.", e);
        }
    }
}
