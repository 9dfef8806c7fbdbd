using System.Net.Security;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>One TLS connection of a client to its server: the stream, the writer, and the
/// requests waiting on it. Frames are queued and written by one writer task so callers never
/// block on the network and writes never interleave. A client has one at a time; a reconnect
/// makes a new one.</summary>
internal sealed class ServerConnection
{
    private readonly SslStream _stream;
    private readonly ILogger _log;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private int _dead;

    public ServerConnection(SslStream stream, FrameReader reader, TimeProvider time, ILogger log)
    {
        _stream = stream;
        _log = log;
        Reader = reader;
        Requests = new RequestTracker(time, log);
        _ = Task.Run(WriteLoopAsync);
    }

    public FrameReader Reader { get; }

    /// <summary>The event sources the server has named on this connection (read loop only).</summary>
    public EventSources Sources { get; } = new();

    public RequestTracker Requests { get; }

    public Task ReadLoop { get; set; } = Task.CompletedTask;

    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationToken Closing => _closing.Token;

    public bool IsDead => Volatile.Read(ref _dead) != 0;

    public void Send(byte[] frame) => _outgoing.Writer.TryWrite(frame);

    /// <summary>Sends a request under a fresh tag and waits for its reply.</summary>
    public async Task<IMessage> RequestAsync(Func<uint, IMessage> build, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var tag = Requests.NextTag();
        var reply = Requests.Expect(tag);
        if (IsDead)
        {
            Requests.Fail(tag, new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "The connection to the server was lost."));
        }

        Send(build(tag).ToFrame());
        return await Requests.WaitAsync(tag, reply, timeout, cancellationToken).ConfigureAwait(false);
    }

    public void Kill()
    {
        if (Interlocked.Exchange(ref _dead, 1) != 0)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        _closing.Cancel();
        _stream.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                while (_outgoing.Reader.TryRead(out var frame))
                {
                    await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
                }

                await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
            }
        }
        catch (Exception) when (IsDead)
        {
            // Killed while writing: the read loop reports why the connection ended.
        }
        catch (Exception e)
        {
            // A write that fails ends the connection; the read loop sees it end and the client reconnects.
            _log.Failed(e, "client.write");
            Kill();
        }
    }
}
