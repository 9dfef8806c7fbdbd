using OpenChat.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>Publishes: limits, the commit screen and budget, the ordered durable append through
/// <see cref="MessageLog"/>, and, once a batch is committed, its events to the bus and the
/// publishers' replies.</summary>
internal sealed class RoomPublisher : IAsyncDisposable
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _rateLimitLines = new("RateLimited (publish, commit)");

    private const ulong CreateLookBack = 1000;

    private readonly RoomDirectory _rooms;
    private readonly IRoomEventBus _bus;
    private readonly IMessageStore _store;
    private readonly Func<string, bool> _isRevoked;
    private readonly Func<string, string?> _renewedFrom;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly MessageLog _messageLog;
    private readonly CommitBudget _commits;
    private readonly RateMeter _rate = new();
    private readonly ServerMetrics? _metrics;
    private long _stored;

    public RoomPublisher(RoomDirectory rooms, IRoomEventBus bus, IMessageStore store, ChatServerOptions options,
        Func<string, bool> isRevoked, TimeProvider time, ILogger log, Func<string, string?>? renewedFrom = null, ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        _renewedFrom = renewedFrom ?? (_ => null);
        _rooms = rooms;
        _bus = bus;
        _store = store;
        _isRevoked = isRevoked;
        _time = time;
        _log = log;
        _stored = store.CountMessages();
        _commits = new CommitBudget(options.CommitsPerMinute, options.CommitBurst);
        _messageLog = new MessageLog(store, OnCommitted, log, metrics);
    }

    public long MessagesStored => Interlocked.Read(ref _stored);

    public double MessagesPerSecond => _rate.PerSecond;

    /// <summary>Queues the publish for the log, or answers why not; refusals of the room
    /// (not a member) are thrown for the router to answer.</summary>
    public async ValueTask PublishAsync(IClientChannel channel, Publish publish)
    {
        _metrics?.Received();
        if (!channel.Publishes.TryTake() || !channel.PublishedBytes.TryTake(publish.Body.Length))
        {
            if (_rateLimitLines.Admit(_log))
            {
                RoomLog.RateLimited(_log, channel.UserName, "publish");
            }

            _metrics?.Refused(ErrorIds.RateLimited);
            channel.Send(new ErrorReply(publish.Tag, ErrorIds.RateLimited, "Publishing too fast; the message was not stored. Resend it later."));
            return;
        }

        var room = _rooms.MemberRoom(channel, publish.Room);
        var identity = channel.Identity!;
        var size = RoomEvent.FrameSize(room.Name, channel.UserName, identity.Serial, publish.Body.Length);
        if (size > FrameLimits.MaxFrameSize)
        {
            _metrics?.Refused(ErrorIds.MessageTooLarge);
            channel.Send(new ErrorReply(publish.Tag, ErrorIds.MessageTooLarge,
                $"With its header the message would be {size:N0} bytes, over the limit of {FrameLimits.MaxFrameSize:N0}; it was not stored. Send something smaller."));
            return;
        }

        if (publish.Kind == EventKind.Commit && !AdmitCommit(channel, publish, room))
        {
            return;
        }

        // A predecessor is never revoked while the connection's certificate is not: revocation
        // takes a whole renewal chain.
        var serial = PublisherSerial.For(identity, publish, _renewedFrom);

        var request = new AppendRequest(room.Name, publish.MessageId, channel.UserName, serial,
            publish.Kind, publish.Epoch, _time.GetUtcNow(), publish.Body);
        await _messageLog.EnqueueAsync(new MessageLog.Pending(request, channel, publish.Tag), channel.Closing).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _messageLog.DisposeAsync();

    private bool AdmitCommit(IClientChannel channel, Publish publish, Room room)
    {
        // A device revoked a moment ago may still have publishes in flight: its commit would be
        // judged differently by members who have and have not seen the new list yet.
        var refusal = _isRevoked(channel.Identity!.Serial)
            ? "the publishing device's certificate is revoked"
            : CommitScreen.Refusal(publish, room.Name, channel.Identity!, () => RecentPackages(room));
        if (refusal is not null)
        {
            RoomLog.CommitRefused(_log, room.Name, channel.UserName, refusal);
            _metrics?.Refused(ErrorIds.CommitRefused);
            channel.Send(new ErrorReply(publish.Tag, ErrorIds.CommitRefused, $"The commit was not stored: {refusal}."));
            return false;
        }

        if (!_commits.TryTake(UserNamePolicy.Normalize(channel.UserName)))
        {
            if (_rateLimitLines.Admit(_log))
            {
                RoomLog.RateLimited(_log, channel.UserName, "commit");
            }

            _metrics?.Refused(ErrorIds.RateLimited);
            channel.Send(new ErrorReply(publish.Tag, ErrorIds.RateLimited, "Too many changes of rooms' encryption from this user; the commit was not stored. Try again in a minute."));
            return false;
        }

        return true;
    }

    // The key packages among the room's latest events (a founder publishes its package just
    // before its create commit; the window is bounded, so the look costs the same in any room).
    private IEnumerable<byte[]> RecentPackages(Room room)
    {
        var last = room.LastSequence;
        var from = last > CreateLookBack ? last - CreateLookBack + 1 : 1;
        return _store.Read(room.Name, from, (int)CreateLookBack, 4 * 1024 * 1024).Where(e => e.Kind == EventKind.Key).Select(e => e.Body);
    }

    private void OnCommitted(IReadOnlyList<MessageLog.Pending> batch, IReadOnlyList<AppendResult>? results, Exception? failure)
    {
        // A whole commit's events go out per room as a few packed chunks, and each publisher's
        // replies as one: a receiver's queue and writer see one item per chunk, not per event.
        // Every reply follows the event it acknowledges, and events keep their room's order.
        var events = new List<(string Room, EventBatch Frames, ulong First, ulong Sequence, ulong Epoch)>();
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var replies = new Dictionary<IClientChannel, FrameBatch>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            if (!replies.TryGetValue(pending.Publisher, out var reply))
            {
                replies[pending.Publisher] = reply = new FrameBatch();
            }

            if (results is null)
            {
                _metrics?.Refused(ErrorIds.StoreUnavailable);
                reply.Add(new ErrorReply(pending.Tag, ErrorIds.StoreUnavailable,
                    $"The server could not store the message ({failure?.GetType().Name}); it was not accepted. Resend it later.").ToFrame());
                continue;
            }

            var result = results[i];
            switch (result.Outcome)
            {
                case AppendOutcome.Stored:
                    var e = result.Event!;
                    if (!slots.TryGetValue(e.Room, out var slot))
                    {
                        slots[e.Room] = slot = events.Count;
                        events.Add((e.Room, new EventBatch(), e.Sequence, 0, 0));
                    }

                    events[slot].Frames.Add(e);
                    events[slot] = events[slot] with { Sequence = e.Sequence, Epoch = result.CurrentEpoch };
                    reply.Add(new Ack(pending.Tag, e.Room, e.MessageId, e.Sequence).ToFrame());
                    break;
                case AppendOutcome.Duplicate:
                    reply.Add(new Ack(pending.Tag, result.Event!.Room, result.Event.MessageId, result.Event.Sequence).ToFrame());
                    break;
                case AppendOutcome.StaleEpoch:
                    _metrics?.Refused(ErrorIds.StaleEpoch);
                    reply.Add(new ErrorReply(pending.Tag, ErrorIds.StaleEpoch,
                        $"The {(pending.Request.Kind == EventKind.Commit ? "commit was built on" : "message was sent in")} epoch {pending.Request.Epoch}, but the room is at epoch {result.CurrentEpoch}. Catch up and retry.").ToFrame());
                    break;
                default:
                    _metrics?.Refused(ErrorIds.RoomNotFound);
                    reply.Add(new ErrorReply(pending.Tag, ErrorIds.RoomNotFound, $"There is no room '{pending.Request.Room}'.").ToFrame());
                    break;
            }
        }

        foreach (var (name, frames, first, sequence, epoch) in events)
        {
            // Another node's later batch may have moved the room on already (through the bus).
            _rooms.Find(name)?.Advance(sequence, epoch);

            Interlocked.Add(ref _stored, frames.Count);
            _rate.Add(frames.Count);
            _bus.PublishCommitted(name, first, sequence, epoch, frames.Chunks());
        }

        foreach (var (publisher, frames) in replies)
        {
            foreach (var chunk in frames.Chunks())
            {
                if (!publisher.Send(chunk))
                {
                    break;
                }
            }
        }
    }
}
