using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>
/// What a full server does with one more connection: a bounded number at a time get a TLS
/// handshake, their Hello read, and <c>Bye ServerBusy</c>, so that a user is told the server is
/// full instead of seeing the socket drop mid-handshake. Beyond that bound (a flood) sockets are
/// closed at once, as before: telling costs a handshake, and a flood must not buy handshakes.
/// </summary>
internal sealed class BusyRefusal(Func<SslStreamCertificateContext> certificate, TimeSpan timeout, ILogger log)
{
    public const int MaxAtOnce = 16;

    private int _inFlight;

    /// <summary>Takes the socket and answers it in the background, or returns false (the caller
    /// closes it) when <see cref="MaxAtOnce"/> refusals are already under way.</summary>
    public bool TryRefuse(Socket socket, int maxConnections, CancellationToken stopping)
    {
        if (Interlocked.Increment(ref _inFlight) > MaxAtOnce)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        _ = Task.Run(() => RefuseAsync(socket, maxConnections, stopping));
        return true;
    }

    private async Task RefuseAsync(Socket socket, int maxConnections, CancellationToken stopping)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            deadline.CancelAfter(timeout);
            await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificate(),
                EnabledSslProtocols = SslProtocols.Tls13,
                // Nobody is admitted here, so nobody's certificate needs asking for or checking.
                ClientCertificateRequired = false,
            }, deadline.Token).ConfigureAwait(false);

            // Read the client's Hello first: closing with it unread would reset the connection
            // and the client might never see the Bye.
            _ = await new FrameReader(stream).ReadAsync(deadline.Token).ConfigureAwait(false);
            await stream.WriteAsync(new Bye(ErrorIds.ServerBusy,
                $"The server is full (it takes {maxConnections} connections at most). Try again in a while.").ToFrame(), deadline.Token).ConfigureAwait(false);
            await stream.FlushAsync(deadline.Token).ConfigureAwait(false);
            await stream.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or ProtocolException or SocketException or ObjectDisposedException)
        {
            // The refused client went away or misbehaved; it was being turned away anyway.
            log.BusyRefusalAbandoned(e.GetType().Name);
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
