using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>
/// One client's TLS connection: a reader that decodes frames and hands them to the hub, and a
/// writer that drains a bounded queue, coalescing queued frames into few TLS writes. A full
/// queue means the client does not read: it is disconnected rather than buffered without end.
/// </summary>
internal sealed class ClientConnection : IClientChannel
{
    private const int CoalesceBytes = 64 * 1024;

    private readonly SslStream _stream;
    private readonly Channel<byte[]> _outgoing;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<string, byte> _subscriptions = new(StringComparer.Ordinal);
    private int _closed;
    private string _closeReason = "";

    public ClientConnection(long id, SslStream stream, PeerIdentity? identity, int sendQueueFrames, ChatServerOptions options, byte[]? certificate = null)
    {
        Certificate = certificate ?? [];
        Id = id;
        _stream = stream;
        _identity = identity;
        _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(sendQueueFrames)
        {
            SingleReader = true,
            // Wait mode makes TryWrite report a full queue (the Drop modes accept and discard).
            FullMode = BoundedChannelFullMode.Wait,
        });
        Publishes = new TokenBucket(options.PublishesPerSecond, options.PublishBurst);
        PublishedBytes = new TokenBucket(options.PublishBytesPerSecond, options.PublishBytesBurst);
        Requests = new TokenBucket(options.RequestsPerSecond, options.RequestBurst);
        Touch();
    }

    public long Id { get; }

    /// <summary>Null on an enrollment connection (no client certificate). A renewal rebinds it
    /// (<see cref="Rebind"/>): everything keyed by the connection's serial reads it here.</summary>
    public PeerIdentity? Identity
    {
        get => Volatile.Read(ref _identity);
        private set => Volatile.Write(ref _identity, value);
    }

    private PeerIdentity? _identity;

    /// <summary>The certificate (DER) the connection speaks for: the one its handshake presented,
    /// then the one a renewal gave it. Empty on an enrollment connection.</summary>
    public byte[] Certificate { get; private set; } = [];

    /// <summary>The handshake presented a certificate that expired within the renewal grace
    /// window: the connection may renew it and ping, nothing else.</summary>
    public bool RenewalOnly { get; init; }

    /// <summary>Renewal requests: a few at once, then one a minute.</summary>
    public TokenBucket Renewals { get; } = new(1.0 / 60, 3);

    /// <summary>Makes the connection speak for <paramref name="certificate"/> from now on
    /// (called by the connection's reader, between two frames).</summary>
    public void Rebind(PeerIdentity identity, byte[] certificate)
    {
        Certificate = certificate;
        Identity = identity;
    }

    public string UserName => Identity?.UserName ?? "";

    /// <summary>The peer's address and port, for log lines.</summary>
    public string RemoteAddress { get; init; } = "";

    /// <summary>Where the end of the write loop is noted (the server's connection log).</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    public TokenBucket Publishes { get; }

    public TokenBucket PublishedBytes { get; }

    public TokenBucket Requests { get; }

    public long LastActivity { get; private set; }

    public long OpenedAt { get; } = Environment.TickCount64;

    /// <summary>An enrollment connection that already redeemed (or tried) an invite.</summary>
    public bool Enrolled { get; set; }

    /// <summary>The fresh nonce this enrollment connection's Welcome carried (empty otherwise):
    /// an invite proof counts only if made for it.</summary>
    public byte[] EnrollmentNonce { get; init; } = [];

    /// <summary>The SHA-256 of the server certificate this connection's handshake presented.</summary>
    public byte[] ServerCertificateHash { get; init; } = [];

    /// <summary>Bytes queued and not yet written: bounded, like the frame count.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public const long MaxQueuedBytes = 32L * 1024 * 1024;

    private long _queuedBytes;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public string CloseReason => _closeReason;

    public CancellationToken Closing => _closing.Token;

    /// <summary>Rooms this connection receives live events for (another user's reader adds a
    /// direct room here, hence concurrent).</summary>
    public ConcurrentDictionary<string, byte> Subscriptions => _subscriptions;

    public void Touch() => LastActivity = Environment.TickCount64;

    /// <summary>Queues a frame; a client too slow to take it is disconnected.</summary>
    public bool Send(byte[] frame)
    {
        if (Interlocked.Add(ref _queuedBytes, frame.Length) <= MaxQueuedBytes && _outgoing.Writer.TryWrite(frame))
        {
            return true;
        }

        Abort(ErrorIds.SlowReader);
        return false;
    }

    public void Send(IMessage message) => Send(message.ToFrame());

    /// <summary>Says goodbye with a reason, lets the writer flush, then closes.</summary>
    public void Close(string code, string message)
    {
        if (IsClosed)
        {
            return;
        }

        _outgoing.Writer.TryWrite(new Bye(code, message).ToFrame());
        _closeReason = code;
        _outgoing.Writer.TryComplete();
        // The writer cancels the reader once the goodbye is flushed; this is the backstop.
        _closing.CancelAfter(TimeSpan.FromSeconds(2));
    }

    /// <summary>Closes at once, without a goodbye.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _closeReason = reason;
        _outgoing.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Not a failure: the token source is already gone, so nothing is left to cancel.
        }

        _stream.Dispose();
    }

    /// <summary>Drains the queue until it completes or the connection dies.</summary>
    public async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                // Rented per burst, not per connection: an idle connection holds no buffer.
                var buffer = ArrayPool<byte>.Shared.Rent(CoalesceBytes);
                try
                {
                    await FlushQueuedAsync(reader, buffer).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer went away or we are closing: nothing more to write.
            Log.ConnectionLost(UserName, RemoteAddress, e.GetType().Name);
        }
        finally
        {
            Abort(_closeReason.Length > 0 ? _closeReason : "Closed");
        }
    }

    private async Task FlushQueuedAsync(ChannelReader<byte[]> reader, byte[] buffer)
    {
        var used = 0;
        while (reader.TryPeek(out var frame))
        {
            if (used > 0 && used + frame.Length > buffer.Length)
            {
                break;
            }

            reader.TryRead(out _);
            Interlocked.Add(ref _queuedBytes, -frame.Length);
            // Too large for the buffer, or alone in the queue (one commit's chunk for this
            // receiver, the usual case under load): written as it is, without a copy.
            if (frame.Length > buffer.Length || (used == 0 && !reader.TryPeek(out _)))
            {
                await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
                continue;
            }

            frame.CopyTo(buffer, used);
            used += frame.Length;
        }

        if (used > 0)
        {
            await _stream.WriteAsync(buffer.AsMemory(0, used), _closing.Token).ConfigureAwait(false);
        }

        await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
    }
}
