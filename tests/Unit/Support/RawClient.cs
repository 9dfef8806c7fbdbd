using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A hand-driven client for misbehaving on purpose: valid TLS and certificate, then
/// whatever bytes a test wants to send.</summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;

    private RawClient(TcpClient tcp, SslStream stream)
    {
        _tcp = tcp;
        Stream = stream;
        Reader = new FrameReader(stream);
    }

    public SslStream Stream { get; }

    public FrameReader Reader { get; }

    /// <summary>This end's address and port as an IPv4 server sees (and logs) the peer: the
    /// client's socket is dual-mode, so its own view is the IPv4-mapped IPv6 address.</summary>
    public System.Net.IPEndPoint LocalEndPoint => _tcp.Client.LocalEndPoint is System.Net.IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped
        ? new System.Net.IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port)
        : (System.Net.IPEndPoint)_tcp.Client.LocalEndPoint!;

    public static Task<RawClient> ConnectAsync(int port, ChatProfile? profile, bool hello = true) =>
        ConnectAsync(port, profile?.LoadIdentity(ReadOnlySpan<char>.Empty), hello);

    public static async Task<RawClient> ConnectAsync(int port, X509Certificate2? identity, bool hello = true)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        var options = new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls13 };
        if (identity is not null)
        {
            options.ClientCertificates = [identity];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => identity;
        }

        await stream.AuthenticateAsClientAsync(options);
        var client = new RawClient(tcp, stream);
        if (hello)
        {
            await client.SendAsync(new Hello(ChatProtocol.Version, ChatProtocol.Version, "raw").ToFrame());
            var welcome = await client.Reader.ReadAsync(CancellationToken.None);
            if (welcome?.Type != MessageType.Welcome)
            {
                throw new InvalidOperationException($"expected Welcome, got {welcome?.Type}");
            }
        }

        return client;
    }

    public async Task SendAsync(byte[] bytes)
    {
        await Stream.WriteAsync(bytes);
        await Stream.FlushAsync();
    }

    /// <summary>Reads frames until the server closes the connection; returns the Bye code, if any.</summary>
    public async Task<string?> ReadUntilClosedAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        string? bye = null;
        try
        {
            while (await Reader.ReadAsync(cts.Token) is { } frame)
            {
                if (frame.Type == MessageType.Bye)
                {
                    bye = Bye.Read(frame.Payload.Span).Code;
                }
            }
        }
        catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException)
        {
        }

        return bye;
    }

    public ValueTask DisposeAsync()
    {
        Stream.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
