using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Bench;

/// <summary>A protocol-level client for load: it speaks frames directly and does no crypto on
/// bodies, so the load generator measures the server rather than itself.</summary>
internal sealed class BenchClient : IAsyncDisposable
{
    private BenchClient(SslStream stream) => Stream = stream;

    public SslStream Stream { get; }

    public static async Task<BenchClient> ConnectAsync(int port, BenchCa ca, X509Certificate2 identity, string? room)
    {
        var opened = await ClientTransport.OpenAsync($"127.0.0.1:{port}", ca.Fingerprint, ca.CaCertificate, identity, TimeSpan.FromSeconds(30), CancellationToken.None);
        var client = new BenchClient(opened.Stream);
        if (room is not null)
        {
            await opened.Stream.WriteAsync(new NameRequest(MessageType.Join, 1, room).ToFrame());
            await opened.Stream.FlushAsync();
            // Events of the room (a previous phase's backlog) may arrive before the reply.
            var joined = await opened.Reader.ReadAsync(CancellationToken.None);
            while (joined?.Type is MessageType.Event or MessageType.Presence)
            {
                joined = await opened.Reader.ReadAsync(CancellationToken.None);
            }

            if (joined?.Type != MessageType.Joined)
            {
                throw new InvalidOperationException($"join failed: {joined?.Type}");
            }
        }

        return client;
    }

    /// <summary>The publisher's stamp (first 8 bytes of the body) of an Event frame (type byte first).</summary>
    public static long StampOfEvent(ReadOnlySpan<byte> frame)
    {
        var r = new PayloadReader(frame[1..]);
        r.String();
        r.U64();
        r.Id();
        r.String();
        r.String();
        r.U8();
        r.U64();
        r.I64();
        var body = r.Bytes();
        return BitConverter.ToInt64(body, 0);
    }

    public ValueTask DisposeAsync()
    {
        Stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
