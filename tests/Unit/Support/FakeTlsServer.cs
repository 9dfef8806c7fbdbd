using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Someone else's server: a TLS 1.3 listener on 127.0.0.1 with a certificate and key
/// of the test's choosing (for example an old, revoked server certificate), that accepts any
/// client certificate and records how many application bytes clients send it.</summary>
public sealed class FakeTlsServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _faults = new();
    private int _accepted;
    private long _bytes;

    public FakeTlsServer(X509Certificate2 certificateWithKey)
    {
        // Through PKCS#12 so that SslStream can use the key on every platform.
        _certificate = X509CertificateLoader.LoadPkcs12(certificateWithKey.Export(X509ContentType.Pkcs12), null);
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>TCP connections accepted: the client did come here.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Bytes received after a completed handshake (Hello, Enroll, anything).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    /// <summary>Failures of the fake itself (not a client's refusal): a broken fake must not pass
    /// for a client that refused it, so tests assert this is empty.</summary>
    public IReadOnlyCollection<Exception> Faults => [.. _faults];

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), false);
            await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, _stopping.Token);
            var buffer = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(buffer, _stopping.Token)) > 0)
            {
                Interlocked.Add(ref _bytes, read);
            }
        }
        catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            // The client refused us (the point of most tests) or went away.
        }
        catch (Exception e)
        {
            _faults.Enqueue(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        await _accepting;
        _certificate.Dispose();
    }
}
