using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>What the client does with each frame the server sends: events into rooms' cursors,
/// replies to their requests, acknowledgements and refusals of publishes.</summary>
public sealed partial class ChatClient
{
    private static readonly TimeSpan TransientRetryDelay = TimeSpan.FromMilliseconds(500);

    private JoinedRoom OnJoined(Joined joined)
    {
        lock (_gate)
        {
            if (_rooms.TryGet(joined.Room, out var cursor))
            {
                cursor.Kind = joined.Kind;
                cursor.Known = Math.Max(cursor.Known, joined.LastSequence);
                if (cursor.HasGap)
                {
                    RequestHistory(cursor);
                }
            }
        }

        return new JoinedRoom(joined.Room, joined.Kind, joined.LastSequence, joined.Epoch);
    }

    private async Task ReadLoopAsync(ServerConnection connection)
    {
        var reason = "closed by the server";
        try
        {
            while (true)
            {
                var frame = await connection.Reader.ReadAsync(connection.Closing).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                Dispatch(connection, frame.Value);
            }
        }
        catch (ProtocolException e)
        {
            reason = ErrorIds.ProtocolViolation;
            ClientLog.ServerBrokeProtocol(_log, _nodes.Current, e.Message);
        }
        catch (Exception e) when (connection.IsDead || e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The network (or DropConnection) ended this connection; the supervisor decides whether to reconnect.
            reason = connection.IsDead ? "dropped" : e.GetType().Name;
        }
        catch (Exception e)
        {
            // Anything else is a fault of ours while dispatching: it ends this connection too, with a trace.
            reason = e.GetType().Name;
            _log.Failed(e, "client.dispatch");
        }
        finally
        {
            connection.Kill();
            connection.Requests.FailAll(ClosedReason is not null ? Closed() : new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                "The connection to the server was lost before it answered."));
            if (!_disposing.IsCancellationRequested)
            {
                ClientLog.Disconnected(_log, _nodes.Current, ClosedReason ?? reason);
            }

            connection.Ended.TrySetResult();
        }
    }

    private void Dispatch(ServerConnection connection, Frame frame)
    {
        switch (MessageCodec.Decode(frame))
        {
            case EventSource source:
                connection.Sources.Define(source);
                break;
            case CompactEvent e:
                OnEvent(connection.Sources.Resolve(e));
                break;
            case Ack ack:
                OnAck(ack);
                break;
            case ErrorReply error:
                OnError(connection, error);
                break;
            case Joined { Tag: 0 } joined:
                // Someone opened a direct conversation with us.
                lock (_gate)
                {
                    _rooms.Open(joined.Room, null);
                }

                OnJoined(joined);
                break;
            case IReply reply:
                connection.Requests.Complete(reply.Tag, reply);
                break;
            case HistoryEnd end:
                OnHistoryEnd(end);
                break;
            case CaRoots roots:
                // Pinned only on a proof under a root already pinned (PinnedRoots.Adopt); a
                // refusal is logged there and changes nothing.
                _roots.Adopt(roots);
                break;
            case Presence presence:
                OnPresence(presence);
                break;
            case Bye bye:
                if (bye.Code is ErrorIds.CertificateRevoked or ErrorIds.VersionUnsupported)
                {
                    ClosedReason = bye.Code;
                }

                break;
            case Pong:
                break;
            case var other:
                throw MessageCodec.Unexpected(other, "the server");
        }
    }

    private void OnPresence(Presence presence)
    {
        try
        {
            PresenceChanged?.Invoke(this, new PresenceChangedEventArgs(presence.Room, presence.UserName, presence.Online, presence.Time));
        }
        catch (Exception e)
        {
            // A subscriber's failure must not stop delivery.
            _log.Failed(e, "client.presence-handler");
        }
    }

    private void OnEvent(RoomEvent e)
    {
        lock (_gate)
        {
            if (!_rooms.TryGet(e.Room, out var cursor))
            {
                return;
            }

            foreach (var ready in cursor.Accept(e))
            {
                _events.Writer.TryWrite(ready);
            }

            if (cursor.HasGap)
            {
                RequestHistory(cursor);
            }
        }
    }

    private void OnHistoryEnd(HistoryEnd end)
    {
        lock (_gate)
        {
            if (_rooms.TryGet(end.Room, out var cursor) && cursor.HistoryEnded(end.RoomLastSequence))
            {
                RequestHistory(cursor);
            }
        }
    }

    // Called under _gate.
    private void RequestHistory(RoomCursor cursor)
    {
        var connection = _connection;
        if (cursor.HistoryInFlight || connection is null || connection.IsDead)
        {
            return;
        }

        cursor.HistoryRequested();
        var tag = connection.Requests.NextTag();
        connection.Send(new HistoryRequest(tag, cursor.Room, cursor.Next, _options.HistoryBatch).ToFrame());
    }

    private void OnAck(Ack ack)
    {
        PendingPublish? done;
        lock (_gate)
        {
            done = _outbox.Remove(ack.MessageId);
        }

        if (done is not null)
        {
            _store.MarkDirty();
            done.Completion.TrySetResult(ack.Sequence);
        }
    }

    private void OnError(ServerConnection connection, ErrorReply error)
    {
        if (!connection.Requests.TakePublish(error.Tag, out var messageId))
        {
            connection.Requests.Fail(error.Tag, new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message));
            return;
        }

        PendingPublish? publish;
        lock (_gate)
        {
            publish = _outbox.Find(messageId);
        }

        if (publish is null)
        {
            return;
        }

        if (error.Code is ErrorIds.RateLimited or ErrorIds.StoreUnavailable)
        {
            // Transient: the message keeps its id and goes again shortly.
            ClientLog.PublishRetried(_log, messageId, publish.Entry.Room, error.Code);
            _ = RetryPublishAsync(publish);
            return;
        }

        lock (_gate)
        {
            _outbox.Remove(publish);
        }

        _store.MarkDirty();
        publish.Completion.TrySetException(new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message));
    }

    private async Task RetryPublishAsync(PendingPublish publish)
    {
        try
        {
            await Task.Delay(TransientRetryDelay, _options.Time, _disposing.Token).ConfigureAwait(false);
            lock (_gate)
            {
                SendPublish(_connection, publish);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the message stays in the saved outbox for the next session.
        }
    }
}
