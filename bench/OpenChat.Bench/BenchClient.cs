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
            // Join never creates a room: the first member creates it, and one that lost a race
            // to create it joins after all.
            var joined = await RequestAsync(opened, MessageType.Join, 1, room)
                ?? await RequestAsync(opened, MessageType.CreateRoom, 2, room)
                ?? await RequestAsync(opened, MessageType.Join, 3, room);
            if (joined is null)
            {
                throw new InvalidOperationException($"could not join or create the room '{room}'");
            }
        }

        return client;
    }

    /// <summary>Sends a join or create and returns the Joined reply, or null when refused.</summary>
    private static async Task<Frame?> RequestAsync(ClientTransport.Opened opened, MessageType type, uint tag, string room)
    {
        await opened.Stream.WriteAsync(new NameRequest(type, tag, room).ToFrame());
        await opened.Stream.FlushAsync();
        while (true)
        {
            // Events of the room (a previous phase's backlog) may arrive before the reply.
            var reply = await opened.Reader.ReadAsync(CancellationToken.None);
            switch (reply?.Type)
            {
                case MessageType.Event or MessageType.EventSource or MessageType.Presence:
                    continue;
                case MessageType.Joined:
                    return reply;
                case MessageType.Error:
                    return null;
                default:
                    throw new InvalidOperationException($"unexpected reply to {type}: {reply?.Type.ToString() ?? "connection closed"}");
            }
        }
    }

    /// <summary>The publisher's stamp (first 8 bytes of the body) of an Event frame (type byte first).</summary>
    public static long StampOfEvent(ReadOnlySpan<byte> frame)
    {
        var r = new PayloadReader(frame[1..]);
        r.VarU64();
        r.VarU64();
        r.Id();
        r.U8();
        r.VarU64();
        r.VarU64();
        var body = r.VarBytes();
        return BitConverter.ToInt64(body, 0);
    }

    public ValueTask DisposeAsync()
    {
        Stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
