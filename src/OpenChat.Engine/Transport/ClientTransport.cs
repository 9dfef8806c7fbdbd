using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Transport;

/// <summary>Opens the client's side of a connection: TCP, TLS 1.3 against the pinned CA, then
/// the Hello/Welcome exchange that settles the protocol version.</summary>
public static class ClientTransport
{
    /// <summary>An open connection. <see cref="ServerCertificateHash"/> is SHA-256 of the server
    /// certificate presented in this handshake (the channel binding an invite proof uses).</summary>
    public sealed record Opened(SslStream Stream, FrameReader Reader, Welcome Welcome, X509Certificate2 CaCertificate, byte[] ServerCertificateHash);

    /// <summary>Connects to <paramref name="server"/>. With <paramref name="caCertificate"/> (an
    /// enrolled client) the server is checked fully during the handshake, and refused if its
    /// certificate's serial is among <paramref name="revokedSerials"/>; without it (enrollment)
    /// its key is checked against <paramref name="serverKeyPin"/> during the handshake and its
    /// chain against <paramref name="pinnedCaFingerprint"/> when Welcome arrives.</summary>
    public static async Task<Opened> OpenAsync(string server, byte[] pinnedCaFingerprint, X509Certificate2? caCertificate, X509Certificate2? clientCertificate,
        TimeSpan timeout, CancellationToken cancellationToken, byte[]? serverKeyPin = null, IReadOnlyCollection<string>? revokedSerials = null,
        TimeProvider? time = null, IReadOnlyCollection<X509Certificate2>? additionalRoots = null)
    {
        var (host, port) = ServerNames.ParseAddress(server);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? stream = null;
        try
        {
            try
            {
                await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new OpenChatException(ErrorIds.ServerUnreachable, ErrorKind.Unavailable,
                    $"Cannot reach the chat server at {server}: {(e is SocketException s ? s.Message : "no answer in time")}. Check the address and that the server is running.", e);
            }

            var validator = new ServerCertificateValidator(pinnedCaFingerprint, host, caCertificate, serverKeyPin, revokedSerials, time, additionalRoots: additionalRoots);
            stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = host,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    validator.ValidateHandshake(certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain),
            };
            if (clientCertificate is not null)
            {
                options.ClientCertificates = [clientCertificate];
                options.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
            }

            try
            {
                await stream.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException || (e is IOException && validator.LastRefusal.Length > 0))
            {
                // Our own refusal of the server comes first, whatever the stack made of it.
                throw validator.LastRefusal.Length > 0
                    ? new OpenChatException(validator.LastRefusalId, ErrorKind.AuthenticationFailed,
                        $"Refused to talk to {server}: {validator.LastRefusal}. Nothing was sent.", e)
                    : new OpenChatException(ErrorIds.ConnectionRefused, ErrorKind.AuthenticationFailed,
                        $"The server at {server} refused the connection during the TLS handshake: {e.Message}", e);
            }
            catch (IOException e)
            {
                // The server closed the socket before any TLS was spoken: that is what a server
                // does when it cannot take one more connection and cannot even say so.
                throw new OpenChatException(ErrorIds.ServerBusy, ErrorKind.Unavailable,
                    $"The server at {server} closed the connection before the TLS handshake finished: it is probably full or shedding load. Try again later.", e);
            }

            await stream.WriteAsync(new Hello(ChatProtocol.Version, ChatProtocol.Version, "OpenChat").ToFrame(), deadline.Token).ConfigureAwait(false);
            await stream.FlushAsync(deadline.Token).ConfigureAwait(false);
            var reader = new FrameReader(stream);
            Frame? first;
            try
            {
                first = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or AuthenticationException)
            {
                // With TLS 1.3 the server judges our certificate after the handshake has completed
                // on our side: its refusal shows up as the first read failing.
                throw new OpenChatException(ErrorIds.ConnectionRefused, ErrorKind.AuthenticationFailed,
                    $"The server at {server} refused this identity (revoked, expired or from another CA).", e);
            }

            if (first is null)
            {
                throw new OpenChatException(ErrorIds.ConnectionRefused, ErrorKind.AuthenticationFailed,
                    $"The server at {server} closed the connection at once (this identity may be revoked or from another CA).");
            }

            switch (MessageCodec.Decode(first.Value))
            {
                case Welcome welcome:
                    var ca = caCertificate ?? ReadCa(welcome.CaCertificate, pinnedCaFingerprint);
                    if (!validator.Confirm(ca))
                    {
                        throw new OpenChatException(validator.LastRefusalId, ErrorKind.AuthenticationFailed,
                            $"Refused to talk to {server}: {validator.LastRefusal}. Nothing but the protocol greeting was sent.");
                    }

                    return new Opened(stream, reader, welcome, X509CertificateLoader.LoadCertificate(ca.RawData), SHA256.HashData(validator.Presented!.RawData));
                case Bye reason:
                    throw new OpenChatException(reason.Code, ErrorKind.Unavailable, $"The server closed the connection: {reason.Message}");
                case var other:
                    throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidData,
                        $"The server answered Hello with {other.GetType().Name}.", MessageCodec.Unexpected(other, "the server"));
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            stream?.Dispose();
            socket.Dispose();
            throw new OpenChatException(ErrorIds.Timeout, ErrorKind.Unavailable, $"The server at {server} did not complete the connection within {timeout.TotalSeconds:0} s.", e);
        }
        catch
        {
            stream?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The certificate among <paramref name="pem"/> whose fingerprint is
    /// <paramref name="fingerprint"/> (during a CA rollover the server names both roots), else the
    /// first: checked against the pin afterwards either way.</summary>
    internal static X509Certificate2 ReadCa(string pem, byte[] fingerprint)
    {
        try
        {
            var all = new X509Certificate2Collection();
            all.ImportFromPem(pem);
            return all.FirstOrDefault(c => CryptographicOperations.FixedTimeEquals(SHA256.HashData(c.RawData), fingerprint))
                ?? all.FirstOrDefault()
                ?? throw new CryptographicException("No certificate in the PEM text.");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new OpenChatException(ErrorIds.ServerNotTrusted, ErrorKind.AuthenticationFailed, "The server sent no usable CA certificate.", e);
        }
    }
}
