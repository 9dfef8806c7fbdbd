using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>History requests: a member's catch-up on a room from a sequence on, in batches the
/// client asks for one after another.</summary>
/// <param name="maxBatchBytes">Where a batch stops in body bytes: a small part of a channel's send queue.</param>
internal sealed class HistoryReader(RoomDirectory rooms, IMessageStore store, ChatServerOptions options, long maxBatchBytes)
{
    /// <summary>Sends the batch and its HistoryEnd; refusals (not a member) are thrown for the
    /// router to answer. The store read runs off the caller's thread and ends with
    /// <paramref name="cancellationToken"/> (the channel closing).</summary>
    public async Task ReadAsync(IClientChannel channel, HistoryRequest request, CancellationToken cancellationToken)
    {
        var room = rooms.MemberRoom(channel, request.Room);
        // Never more than half the send queue at once, so catching up cannot itself make a
        // client look like a slow reader; the client asks again after HistoryEnd.
        var cap = Math.Max(1, Math.Min(options.MaxHistoryBatch, options.SendQueueFrames / 2));
        var max = (int)Math.Clamp(request.Max, 1u, (uint)cap);
        // A batch also stops at a few megabytes (the store stops reading there); the client
        // asks again from where it ended. Sent packed, as live events are.
        var events = await store.ReadAsync(room.Name, Math.Max(request.FromSequence, 1), max, maxBatchBytes, cancellationToken).ConfigureAwait(false);
        var frames = new EventBatch();
        foreach (var e in events)
        {
            frames.Add(e);
        }

        foreach (var chunk in frames.Chunks())
        {
            if (!channel.Send(chunk))
            {
                return;
            }
        }

        var lastSent = events.Count > 0 ? events[^1].Sequence : request.FromSequence == 0 ? 0 : request.FromSequence - 1;
        channel.Send(new HistoryEnd(request.Tag, room.Name, lastSent, room.LastSequence));
    }
}
