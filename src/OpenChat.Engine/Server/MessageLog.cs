using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// Group commit: publishes from every connection queue here; one writer takes everything that
/// is waiting, stores it in one durable transaction, and only then hands the results on (acks
/// and fan-out), in sequence order. Batching is what makes durable writes cheap per message.
/// </summary>
internal sealed class MessageLog : IAsyncDisposable
{
    public const int MaxBatch = 1024;

    /// <summary>A batch also ends at this many body bytes, so that one commit's fan-out stays a
    /// small part of a receiver's send queue.</summary>
    public const int MaxBatchBytes = 4 * 1024 * 1024;

    private readonly IMessageStore _store;
    private readonly Action<IReadOnlyList<Pending>, IReadOnlyList<AppendResult>?, Exception?> _committed;
    // 8192 waiting publishes at most (bounded in bytes by each connection's byte rate limit);
    // beyond that publishers wait, which slows exactly the connections that are pushing.
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(8192)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _log;
    private readonly ServerMetrics? _metrics;

    public MessageLog(IMessageStore store, Action<IReadOnlyList<Pending>, IReadOnlyList<AppendResult>?, Exception?> committed, ILogger log, ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        _store = store;
        _committed = committed;
        _log = log;
        // Its own thread: a commit blocks on fsync, and on a small machine a blocked pool thread
        // is half of the threads that carry every connection's reads and writes.
        new Thread(WriteLoop) { IsBackground = true, Name = "OpenChat message log" }.Start();
    }

    public readonly record struct Pending(AppendRequest Request, IClientChannel Publisher, uint Tag);

    /// <summary>Queues a publish; waits (back-pressure on that one publisher) when the log is full.</summary>
    public ValueTask EnqueueAsync(Pending pending, CancellationToken cancellationToken) => _queue.Writer.WriteAsync(pending, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopped.Task.ConfigureAwait(false);
    }

    private void WriteLoop()
    {
        try
        {
            WriteBatches();
        }
        catch (Exception e)
        {
            // Never let an exception end the process from this thread; the store and the
            // delivery callback already report their own failures per batch.
            _log.Failed(e, "server.message-log");
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void WriteBatches()
    {
        var batch = new List<Pending>(MaxBatch);
        var requests = new List<AppendRequest>(MaxBatch);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            requests.Clear();
            var bytes = 0L;
            while (batch.Count < MaxBatch && bytes < MaxBatchBytes && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
                requests.Add(pending.Request);
                bytes += pending.Request.Body.Length;
            }

            IReadOnlyList<AppendResult>? results = null;
            Exception? failure = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                results = _store.AppendBatch(requests);
                _metrics?.Committed(batch.Count, Stopwatch.GetElapsedTime(started), results.Count(r => r.Outcome == AppendOutcome.Stored));
            }
            catch (Exception e)
            {
                // A full disk or a broken store: nothing in this batch is acknowledged, so the
                // publishers keep their messages and resend them later.
                failure = e;
                _metrics?.StoreFailed("append");
                RoomLog.BatchCommitFailed(_log, e, batch.Count, e.GetType().Name);
            }

            var fanOutStarted = Stopwatch.GetTimestamp();
            try
            {
                _committed(batch, results, failure);
                _metrics?.FannedOut(Stopwatch.GetElapsedTime(fanOutStarted));
            }
            catch (Exception e)
            {
                // Delivery problems belong to single connections, which close themselves;
                // the log must keep running for everyone else.
                _metrics?.FannedOut(Stopwatch.GetElapsedTime(fanOutStarted));
                _log.Failed(e, "server.fan-out");
            }
        }
    }
}
