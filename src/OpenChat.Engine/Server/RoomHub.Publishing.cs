using System.Collections.Concurrent;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>Publishes: limits, the commit screen and budget, the ordered durable append, and the
/// fan-out of what the log committed.</summary>
internal sealed partial class RoomHub
{
    private async ValueTask PublishAsync(ClientConnection connection, Publish publish)
    {
        if (!connection.Publishes.TryTake() || !connection.PublishedBytes.TryTake(publish.Body.Length))
        {
            connection.Send(new ErrorReply(publish.Tag, ErrorIds.RateLimited, "Publishing too fast; the message was not stored. Resend it later."));
            return;
        }

        Room room;
        try
        {
            room = MemberRoom(connection, publish.Room);
        }
        catch (OpenChatException e)
        {
            connection.Send(new ErrorReply(publish.Tag, e.ErrorId, e.Message));
            return;
        }

        var size = RoomEvent.FrameSize(room.Name, connection.UserName, connection.Identity!.Serial, publish.Body.Length);
        if (size > FrameLimits.MaxFrameSize)
        {
            connection.Send(new ErrorReply(publish.Tag, ErrorIds.MessageTooLarge,
                $"With its header the message would be {size:N0} bytes, over the limit of {FrameLimits.MaxFrameSize:N0}; it was not stored. Send something smaller."));
            return;
        }

        if (publish.Kind == EventKind.Commit)
        {
            // A device revoked a moment ago may still have publishes in flight: its commit would be
            // judged differently by members who have and have not seen the new list yet.
            var refusal = _isRevoked(connection.Identity!.Serial)
                ? "the publishing device's certificate is revoked"
                : CommitScreen.Refusal(publish, room.Name, connection.Identity!, () => RecentPackages(room.Name));
            if (refusal is not null)
            {
                connection.Send(new ErrorReply(publish.Tag, ErrorIds.CommitRefused, $"The commit was not stored: {refusal}."));
                return;
            }

            if (!_commits.TryTake(UserNamePolicy.Normalize(connection.UserName)))
            {
                connection.Send(new ErrorReply(publish.Tag, ErrorIds.RateLimited, "Too many changes of rooms' encryption from this user; the commit was not stored. Try again in a minute."));
                return;
            }
        }

        var request = new AppendRequest(room.Name, publish.MessageId, connection.UserName, connection.Identity!.Serial,
            publish.Kind, publish.Epoch, DateTimeOffset.UtcNow, publish.Body);
        await _log.EnqueueAsync(new MessageLog.Pending(request, connection, publish.Tag), connection.Closing).ConfigureAwait(false);
    }

    // The key packages among the room's latest events (a founder publishes its package just
    // before its create commit; the window is bounded, so the look costs the same in any room).
    private IEnumerable<byte[]> RecentPackages(string room)
    {
        var last = _rooms.TryGetValue(room, out var r) ? r.LastSequence : 0;
        var from = last > CreateLookBack ? last - CreateLookBack + 1 : 1;
        return _store.Read(room, from, (int)CreateLookBack, 4 * 1024 * 1024).Where(e => e.Kind == EventKind.Key).Select(e => e.Body);
    }

    private const ulong CreateLookBack = 1000;

    private void OnCommitted(IReadOnlyList<MessageLog.Pending> batch, IReadOnlyList<AppendResult>? results, Exception? failure)
    {
        // A whole commit's events go out per room as a few packed chunks, and each publisher's
        // replies as one: a receiver's queue and writer see one item per chunk, not per event.
        // Every reply follows the event it acknowledges, and events keep their room's order.
        var events = new List<(Room Room, FrameBatch Frames, ulong Sequence, ulong Epoch)>();
        var slots = new Dictionary<Room, int>(ReferenceEqualityComparer.Instance);
        var replies = new Dictionary<ClientConnection, FrameBatch>();
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            if (!replies.TryGetValue(pending.Publisher, out var reply))
            {
                replies[pending.Publisher] = reply = new FrameBatch();
            }

            if (results is null)
            {
                reply.Add(new ErrorReply(pending.Tag, ErrorIds.StoreUnavailable,
                    $"The server could not store the message ({failure?.GetType().Name}); it was not accepted. Resend it later.").ToFrame());
                continue;
            }

            var result = results[i];
            switch (result.Outcome)
            {
                case AppendOutcome.Stored:
                    var e = result.Event!;
                    var room = _rooms[e.Room];
                    if (!slots.TryGetValue(room, out var slot))
                    {
                        slots[room] = slot = events.Count;
                        events.Add((room, new FrameBatch(), 0, 0));
                    }

                    events[slot].Frames.Add(e.ToFrame());
                    events[slot] = events[slot] with { Sequence = e.Sequence, Epoch = result.CurrentEpoch };
                    reply.Add(new Ack(pending.Tag, e.Room, e.MessageId, e.Sequence).ToFrame());
                    break;
                case AppendOutcome.Duplicate:
                    reply.Add(new Ack(pending.Tag, result.Event!.Room, result.Event.MessageId, result.Event.Sequence).ToFrame());
                    break;
                case AppendOutcome.StaleEpoch:
                    reply.Add(new ErrorReply(pending.Tag, ErrorIds.StaleEpoch,
                        $"The {(pending.Request.Kind == EventKind.Commit ? "commit was built on" : "message was sent in")} epoch {pending.Request.Epoch}, but the room is at epoch {result.CurrentEpoch}. Catch up and retry.").ToFrame());
                    break;
                default:
                    reply.Add(new ErrorReply(pending.Tag, ErrorIds.RoomNotFound, $"There is no room '{pending.Request.Room}'.").ToFrame());
                    break;
            }
        }

        foreach (var (room, frames, sequence, epoch) in events)
        {
            room.LastSequence = sequence;
            room.Epoch = epoch;
            Interlocked.Add(ref _stored, frames.Count);
            _rate.Add(frames.Count);
            var chunks = frames.Chunks();
            foreach (var subscriber in room.Subscribers)
            {
                foreach (var chunk in chunks)
                {
                    if (!subscriber.Send(chunk))
                    {
                        break;
                    }
                }
            }
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
