using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Support;

/// <summary>
/// A malicious server for one client: it holds the real server's TLS key (it is in the data
/// directory, as it would be for anyone running the server), so the client's checks pass, and it
/// relays frames both ways through the real server under the client's own identity, letting a
/// test rewrite what the client is told and what the server is asked.
/// </summary>
public sealed class TamperingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _serverCertificate;
    private readonly X509Certificate2 _clientIdentity;
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _open = [];

    /// <param name="toClient">Given each frame the real server sends (type and a copy of the
    /// payload), the frames to give the client instead, already encoded; null passes it on, and an
    /// empty frame hangs up after what came before it.</param>
    /// <param name="toServer">The same for each frame the client sends.</param>
    public TamperingProxy(string dataPath, int serverPort, X509Certificate2 clientIdentity,
        Func<MessageType, byte[], IEnumerable<byte[]>?>? toClient = null, Func<MessageType, byte[], IEnumerable<byte[]>?>? toServer = null)
    {
        var directory = new CaDirectory(dataPath);
        using var pem = X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath);
        // Re-imported so that the key is usable by SslStream on every platform.
        _serverCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        _clientIdentity = clientIdentity;
        _serverPort = serverPort;
        _toClient = toClient ?? ((_, _) => null);
        _toServer = toServer ?? ((_, _) => null);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    private readonly Func<MessageType, byte[], IEnumerable<byte[]>?> _toClient;
    private readonly Func<MessageType, byte[], IEnumerable<byte[]>?> _toServer;

    /// <summary>Where the client should connect (the name the real certificate is for).</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public static byte[] Encode(MessageType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(payload.Length + 1));
        frame[4] = (byte)type;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_open)
        {
            foreach (var d in _open)
            {
                d.Dispose();
            }
        }

        _serverCertificate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        try
        {
            using var upstreamTcp = new TcpClient();
            await upstreamTcp.ConnectAsync(IPAddress.Loopback, _serverPort);
            await using var downstream = new SslStream(client.GetStream(), false);
            await using var upstream = new SslStream(upstreamTcp.GetStream(), false, (_, _, _, _) => true);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(upstreamTcp);
            }

            await downstream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _serverCertificate,
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, _stop.Token);
            await upstream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificates = [_clientIdentity],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => _clientIdentity,
            }, _stop.Token);

            var up = Task.Run(() => PumpAsync(downstream, upstream, _toServer));
            var down = Task.Run(() => PumpAsync(upstream, downstream, _toClient));
            await Task.WhenAny(up, down);
        }
        catch (Exception)
        {
            // Either side went away: the relay ends with it.
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task PumpAsync(Stream from, Stream to, Func<MessageType, byte[], IEnumerable<byte[]>?> tamper)
    {
        var reader = new FrameReader(from);
        try
        {
            while (await reader.ReadAsync(_stop.Token) is { } frame)
            {
                var payload = frame.Payload.ToArray();
                var replacement = tamper(frame.Type, payload);
                foreach (var bytes in replacement ?? [Encode(frame.Type, payload)])
                {
                    if (bytes.Length == 0)
                    {
                        await to.FlushAsync(_stop.Token);
                        return; // the test asked to hang up here
                    }

                    await to.WriteAsync(bytes, _stop.Token);
                }

                await to.FlushAsync(_stop.Token);
            }
        }
        catch (Exception)
        {
        }
        finally
        {
            to.Dispose();
        }
    }
}
