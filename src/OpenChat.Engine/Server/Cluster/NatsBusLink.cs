using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// This node's connection to NATS: subscribes to the subjects wanted (and only those), hands what
/// arrives to <c>received</c>, and sends what is queued. Publishing never waits: messages go into a
/// bounded queue drained by a background task, and are dropped when it is full or NATS is down (at
/// most once is enough; the database poll repairs). The first connection is retried until it
/// works; after that the NATS client reconnects by itself and renews the subscriptions.
/// </summary>
internal sealed class NatsBusLink : IAsyncDisposable
{
    private readonly string _url;
    private readonly string _shownUrl;
    private readonly string _nodeId;
    private readonly ClusterBusOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Action<string, byte[]> _received;
    private readonly Action<bool> _stateChanged;
    private readonly Channel<(string Subject, byte[] Payload)> _outgoing;
    private readonly Channel<byte> _reconcile = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, byte> _wanted = new(StringComparer.Ordinal);
    // Touched by the run loop only.
    private readonly Dictionary<string, (INatsSub<byte[]> Sub, Task Reader)> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _subscribed = new(StringComparer.Ordinal);
    private readonly LogThrottle _fullLines = new("BusQueueFull", perSecond: 1, burst: 5);
    private readonly LogThrottle _failureLines = new("bus failures", perSecond: 1, burst: 10);
    private readonly CancellationTokenSource _stopping = new();
    private volatile NatsConnection? _connection;
    private Task _run = Task.CompletedTask;
    private Task _send = Task.CompletedTask;
    private int _up;
    private long _timesUp;
    private long _dropped;

    public NatsBusLink(string url, string nodeId, ClusterBusOptions options, TimeProvider time, ILogger log,
        Action<string, byte[]> received, Action<bool> stateChanged)
    {
        _url = url;
        _shownUrl = Shown(url);
        _nodeId = nodeId;
        _options = options;
        _time = time;
        _log = log;
        _received = received;
        _stateChanged = stateChanged;
        _outgoing = Channel.CreateBounded<(string, byte[])>(new BoundedChannelOptions(Math.Max(1, options.OutgoingQueueSize))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public bool IsUp => Volatile.Read(ref _up) == 1;

    /// <summary>How many times the connection came up (the first time included).</summary>
    public long TimesUp => Interlocked.Read(ref _timesUp);

    /// <summary>Messages not sent: the queue was full, or NATS was down.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The subjects subscribed on NATS now.</summary>
    public IReadOnlyCollection<string> Subscribed => [.. _subscribed.Keys];

    public void Start()
    {
        _run = Task.Run(RunAsync);
        _send = Task.Run(SendAsync);
    }

    public void Want(string subject)
    {
        if (_wanted.TryAdd(subject, 0))
        {
            _reconcile.Writer.TryWrite(0);
        }
    }

    public void Unwant(string subject)
    {
        if (_wanted.TryRemove(subject, out _))
        {
            _reconcile.Writer.TryWrite(0);
        }
    }

    /// <summary>Queues the message; never waits (a full queue drops it).</summary>
    public void Publish(string subject, byte[] payload)
    {
        if (!_outgoing.Writer.TryWrite((subject, payload)))
        {
            Interlocked.Increment(ref _dropped);
            if (_fullLines.Admit(_log))
            {
                _log.BusQueueFull(_options.OutgoingQueueSize);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _outgoing.Writer.TryComplete();
        _reconcile.Writer.TryComplete();
        await Task.WhenAll(_run, _send).ConfigureAwait(false);
        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_subscriptions.Values.Select(s => s.Reader)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        try
        {
            _connection = await ConnectAsync(stopping).ConfigureAwait(false);
            if (_connection is null)
            {
                return;
            }

            while (!stopping.IsCancellationRequested)
            {
                var complete = await ReconcileAsync(_connection, stopping).ConfigureAwait(false);
                // A subscription that failed is tried again after a while; otherwise wait for a change.
                using var retry = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                if (!complete)
                {
                    retry.CancelAfter(_options.ConnectRetryInterval);
                }

                try
                {
                    await _reconcile.Reader.ReadAsync(retry.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    // Time to retry.
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The node is stopping.
        }
        catch (Exception e)
        {
            _log.Failed(e, "server.bus.run");
        }
    }

    private async Task<NatsConnection?> ConnectAsync(CancellationToken stopping)
    {
        var reported = false;
        while (!stopping.IsCancellationRequested)
        {
            var connection = new NatsConnection(new NatsOpts
            {
                Url = _url,
                Name = "openchat-" + _nodeId,
                // The server does not hand a node its own messages back: each would cost a tag check
                // and a decode only to be dropped by its origin (a third of one node's fan-out rate).
                Echo = false,
                MaxReconnectRetry = -1,
                ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
                ReconnectWaitMax = TimeSpan.FromSeconds(1),
            });
            connection.ConnectionDisconnected += (_, _) => { SetUp(false); return ValueTask.CompletedTask; };
            connection.ConnectionOpened += (_, _) => { SetUp(true); return ValueTask.CompletedTask; };
            try
            {
                await connection.ConnectAsync().ConfigureAwait(false);
                _log.BusConnected(_nodeId, _shownUrl);
                SetUp(true);
                return connection;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                if (!reported)
                {
                    reported = true;
                    _log.BusUnreachable(_shownUrl, e.GetType().Name);
                }

                await Task.Delay(_options.ConnectRetryInterval, _time, stopping).ConfigureAwait(false);
            }
        }

        return null;
    }

    private void SetUp(bool up)
    {
        // Closing the connection on dispose is no outage.
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        if (Interlocked.Exchange(ref _up, up ? 1 : 0) != (up ? 1 : 0))
        {
            if (up)
            {
                Interlocked.Increment(ref _timesUp);
                if (_timesUp > 1)
                {
                    _log.BusUp(_shownUrl);
                }

                _reconcile.Writer.TryWrite(0);
            }
            else
            {
                _log.BusDown(_shownUrl);
            }

            try
            {
                _stateChanged(up);
            }
            catch (Exception e)
            {
                _log.Failed(e, "server.bus.state");
            }
        }
    }

    // True when every wanted subject is subscribed and no other.
    private async Task<bool> ReconcileAsync(NatsConnection connection, CancellationToken stopping)
    {
        var complete = true;
        foreach (var subject in _subscriptions.Keys.Where(s => !_wanted.ContainsKey(s)).ToList())
        {
            var (sub, reader) = _subscriptions[subject];
            _subscriptions.Remove(subject);
            _subscribed.TryRemove(subject, out _);
            try
            {
                await sub.UnsubscribeAsync().ConfigureAwait(false);
                await reader.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The server forgets it anyway when the connection goes; nothing to repair.
                LogFailure(e, "server.bus.unsubscribe");
            }
        }

        if (!IsUp)
        {
            // Subscribing now would wait for the connection; the reconnect renews the old ones and
            // the next "up" brings this loop back.
            return true;
        }

        foreach (var subject in _wanted.Keys.Where(s => !_subscriptions.ContainsKey(s)).ToList())
        {
            try
            {
                var sub = await connection.SubscribeCoreAsync<byte[]>(subject, cancellationToken: stopping).ConfigureAwait(false);
                _subscriptions[subject] = (sub, Task.Run(() => ReadAsync(sub, stopping)));
                _subscribed[subject] = 0;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                complete = false;
                LogFailure(e, "server.bus.subscribe");
            }
        }

        return complete;
    }

    private async Task ReadAsync(INatsSub<byte[]> sub, CancellationToken stopping)
    {
        try
        {
            await foreach (var message in sub.Msgs.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                if (message.Data is { } data)
                {
                    _received(message.Subject, data);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // Unsubscribed, or the node is stopping.
        }
        catch (Exception e)
        {
            _log.Failed(e, "server.bus.read");
        }
    }

    private async Task SendAsync()
    {
        var stopping = _stopping.Token;
        try
        {
            await foreach (var (subject, payload) in _outgoing.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                if (!IsUp || _connection is not { } connection)
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }

                try
                {
                    await connection.PublishAsync(subject, payload, cancellationToken: stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _dropped);
                    LogFailure(e, "server.bus.publish");
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The node is stopping.
        }
        catch (Exception e)
        {
            _log.Failed(e, "server.bus.send");
        }
    }

    private void LogFailure(Exception e, string where)
    {
        if (_failureLines.Admit(_log))
        {
            _log.Failed(e, where);
        }
    }

    // The address without a user name or password.
    private static string Shown(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}:{(uri.IsDefaultPort ? 4222 : uri.Port)}" : "(the configured NATS URL)";
}
