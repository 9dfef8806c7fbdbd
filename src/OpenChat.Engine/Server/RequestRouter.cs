using System.Data.Common;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>
/// What the server does with one decoded frame from a certified client: which component takes
/// it, the per-channel request limit, and the one way a request that fails is answered (an
/// error reply with the request's tag), so that only a frame that breaks the protocol costs the
/// connection.
/// </summary>
internal sealed class RequestRouter(
    RoomRequests rooms, RoomPublisher publisher, HistoryReader history, Func<byte[]> revocations, ILogger log, FileRequests? files = null,
    Func<IReadOnlyList<byte[]>>? revocationLists = null, ServerMetrics? metrics = null)
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _rateLimitLines = new("RateLimited (request)");

    public async ValueTask HandleAsync(IClientChannel channel, Frame frame)
    {
        var message = MessageCodec.Decode(frame);
        var tag = message switch
        {
            Ping => 0u,
            Publish publish => publish.Tag,
            HistoryRequest request => request.Tag,
            NameRequest request => request.Tag,
            FileBegin request => request.Tag,
            FileChunk request => request.Tag,
            FileRequest request => request.Tag,
            FileFetch request => request.Tag,
            _ => throw MessageCodec.Unexpected(message, "a client"),
        };
        // Chunks are paced by their bytes instead (FileRequests): a file is many of them.
        if (message is HistoryRequest or NameRequest or FileBegin or FileRequest && !Admitted(channel, tag))
        {
            return;
        }

        try
        {
            switch (message)
            {
                case Ping ping:
                    channel.Send(new Pong(ping.Nonce));
                    break;
                case Publish publish:
                    await publisher.PublishAsync(channel, publish).ConfigureAwait(false);
                    break;
                case HistoryRequest request:
                    await history.ReadAsync(channel, request, channel.Closing).ConfigureAwait(false);
                    break;
                case NameRequest { Type: MessageType.GetRevocations }:
                    channel.Send(new RevocationsReply(tag, revocations()));
                    break;
                case NameRequest { Type: MessageType.GetRevocationLists }:
                    channel.Send(new RevocationListsReply(tag, revocationLists?.Invoke() ?? [revocations()]));
                    break;
                case NameRequest request:
                    rooms.Handle(channel, request);
                    break;
                case FileBegin or FileChunk or FileRequest or FileFetch:
                    await (files ?? throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable, "This server keeps no files."))
                        .HandleAsync(channel, message).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (Answered(channel, message, tag, e))
        {
            // Answered: the request failed, the connection goes on.
        }
    }

    /// <summary>Takes one request from the channel's budget, or answers that it is spent.</summary>
    private bool Admitted(IClientChannel channel, uint tag)
    {
        if (channel.Requests.TryTake())
        {
            return true;
        }

        if (_rateLimitLines.Admit(log))
        {
            RoomLog.RateLimited(log, channel.UserName, "request");
        }

        metrics?.Refused(ErrorIds.RateLimited);
        channel.Send(new ErrorReply(tag, ErrorIds.RateLimited, "Too many requests; slow down."));
        return false;
    }

    /// <summary>The one reply to a request that failed: a refusal with its own error id, a
    /// store that failed as StoreUnavailable, and an answer (or something stored) that cannot
    /// be framed as ProtocolViolation: the requester gets an answer, not a disconnect. Anything
    /// else (the channel closing, a bug) is not answered here.</summary>
    private bool Answered(IClientChannel channel, IMessage request, uint tag, Exception e)
    {
        var what = request.GetType().Name;
        switch (e)
        {
            case OpenChatException refusal:
                metrics?.Refused(refusal.ErrorId);
                if (refusal.ErrorId == ErrorIds.StoreUnavailable)
                {
                    metrics?.StoreFailed(what);
                    RoomLog.StoreFailed(log, refusal, what, channel.UserName, refusal.GetType().Name);
                }
                else
                {
                    RoomLog.RequestRefused(log, what, channel.UserName, refusal.ErrorId);
                }

                channel.Send(new ErrorReply(tag, refusal.ErrorId, refusal.Message));
                return true;
            case DbException:
                metrics?.Refused(ErrorIds.StoreUnavailable);
                metrics?.StoreFailed(what);
                RoomLog.StoreFailed(log, e, what, channel.UserName, e.GetType().Name);
                channel.Send(new ErrorReply(tag, ErrorIds.StoreUnavailable,
                    "The server could not use its message store; the request was not completed. Try again later."));
                return true;
            case ProtocolException:
                metrics?.Refused(ErrorIds.ProtocolViolation);
                RoomLog.ReplyNotFramed(log, e, what, channel.UserName);
                channel.Send(new ErrorReply(tag, ErrorIds.ProtocolViolation, e.Message));
                return true;
            default:
                return false;
        }
    }
}
