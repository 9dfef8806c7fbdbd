using System.Collections.Concurrent;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Transport;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A client channel in memory: what the room side sends it is unpacked into frames,
/// decoded and kept, so a test drives the room side with no TLS and no socket. Events are kept as
/// the <see cref="RoomEvent"/>s they stand for, each resolved against the sources of its own chunk
/// only: a chunk that leaned on another's would fail here.</summary>
internal sealed class TestChannel : IClientChannel
{
    private readonly Lock _gate = new();
    private readonly List<object> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly CancellationTokenSource _closing = new();

    public TestChannel(string userName, string serial)
    {
        Identity = new PeerIdentity(userName, serial, DateTimeOffset.UtcNow.AddDays(30));
    }

    public PeerIdentity? Identity { get; }

    public string UserName => Identity?.UserName ?? "";

    public string RemoteAddress => "test";

    public TokenBucket Publishes { get; } = new(1000, 1000);

    public TokenBucket PublishedBytes { get; } = new(1 << 24, 1 << 24);


    public TokenBucket Requests { get; set; } = new(1000, 1000);

    public ConcurrentDictionary<string, byte> Subscriptions { get; } = new(StringComparer.Ordinal);

    public bool IsClosed => _closing.IsCancellationRequested;

    public CancellationToken Closing => _closing.Token;

    /// <summary>The code it was closed with, if it was.</summary>
    public string? CloseCode { get; private set; }

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<object> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public bool Send(byte[] frame)
    {
        if (IsClosed)
        {
            return false;
        }

        var messages = new List<object>();
        var sources = new EventSources();
        foreach (var message in FrameBatch.Messages(frame))
        {
            if (sources.Take(message) is { } e)
            {
                messages.Add(e);
            }
            else if (message is not EventSource)
            {
                messages.Add(message);
            }
        }

        lock (_gate)
        {
            _received.AddRange(messages);
        }

        _arrived.Release();
        return true;
    }

    public void Send(IMessage message) => Send(message.ToFrame());

    public void Close(string code, string message)
    {
        CloseCode = code;
        _closing.Cancel();
    }

    /// <summary>The first message of type <typeparamref name="T"/> that matches, waiting for it
    /// up to a deadline (the log commits on its own thread).</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, int timeoutSeconds = 10) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            if (Received.OfType<T>().FirstOrDefault(m => match is null || match(m)) is { } found)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"{UserName} received no {typeof(T).Name}; it has: {string.Join(", ", Received.Select(m => m.GetType().Name))}");
            }
        }
    }

    /// <summary>A frame as the server's read loop hands it on.</summary>
    public static Frame FrameOf(IMessage message)
    {
        var bytes = message.ToFrame();
        return new Frame((MessageType)bytes[4], bytes.AsMemory(5));
    }
}
