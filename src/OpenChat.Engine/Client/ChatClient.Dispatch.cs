using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>What the client does with each frame the server sends: events into rooms' cursors,
/// replies to their requests, acknowledgements and refusals of publishes.</summary>
public sealed partial class ChatClient
{
    private JoinedRoom OnJoined(Joined joined)
    {
        lock (_gate)
        {
            if (_rooms.TryGetValue(joined.Room, out var cursor))
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

    private async Task ReadLoopAsync(Session session)
    {
        try
        {
            while (true)
            {
                var frame = await session.Reader.ReadAsync(session.Closing).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                Dispatch(session, frame.Value);
            }
        }
        catch (Exception)
        {
            // Any failure ends this session; the supervisor decides whether to reconnect.
        }
        finally
        {
            session.Kill();
            session.FailPending(ClosedReason is not null ? Closed() : new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                "The connection to the server was lost before it answered."));
            session.Ended.TrySetResult();
        }
    }

    private void Dispatch(Session session, Frame frame)
    {
        var payload = frame.Payload.Span;
        switch (frame.Type)
        {
            case MessageType.Event:
                OnEvent(RoomEvent.Read(payload));
                break;
            case MessageType.Ack:
                OnAck(Ack.Read(payload));
                break;
            case MessageType.Error:
                OnError(session, ErrorReply.Read(payload));
                break;
            case MessageType.Joined:
                var joined = Joined.Read(payload);
                if (joined.Tag == 0)
                {
                    // Someone opened a direct conversation with us.
                    lock (_gate)
                    {
                        if (!_rooms.ContainsKey(joined.Room))
                        {
                            _rooms[joined.Room] = new RoomCursor(joined.Room, _state.LastRead.TryGetValue(joined.Room, out var read) ? read + 1 : 1);
                        }
                    }

                    OnJoined(joined);
                }
                else
                {
                    session.Complete(joined.Tag, joined);
                }

                break;
            case MessageType.Left:
                var left = Left.Read(payload);
                session.Complete(left.Tag, left);
                break;
            case MessageType.RoomList:
                var list = RoomList.Read(payload);
                session.Complete(list.Tag, list);
                break;
            case MessageType.MemberList:
                var members = MemberList.Read(payload);
                session.Complete(members.Tag, members);
                break;
            case MessageType.HistoryEnd:
                OnHistoryEnd(HistoryEnd.Read(payload));
                break;
            case MessageType.Revocations:
                var revocations = RevocationsReply.Read(payload);
                session.Complete(revocations.Tag, revocations);
                break;
            case MessageType.Presence:
                var presence = Presence.Read(payload);
                try
                {
                    PresenceChanged?.Invoke(this, new PresenceChangedEventArgs(presence.Room, presence.UserName, presence.Online, presence.Time));
                }
                catch (Exception)
                {
                    // A subscriber's failure must not stop delivery.
                }

                break;
            case MessageType.Bye:
                var bye = Bye.Read(payload);
                if (bye.Code is ErrorIds.CertificateRevoked or ErrorIds.VersionUnsupported)
                {
                    ClosedReason = bye.Code;
                }

                break;
            case MessageType.Pong:
                break;
            default:
                throw new ProtocolException($"A {frame.Type} frame is not expected from the server.");
        }
    }

    private void OnEvent(RoomEvent e)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(e.Room, out var cursor))
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
            if (_rooms.TryGetValue(end.Room, out var cursor))
            {
                if (cursor.HistoryEnded(end.RoomLastSequence))
                {
                    RequestHistory(cursor);
                }
            }
        }
    }

    // Called under _gate.
    private void RequestHistory(RoomCursor cursor)
    {
        var session = _session;
        if (cursor.HistoryInFlight || session is null || session.IsDead)
        {
            return;
        }

        cursor.HistoryRequested();
        var tag = Interlocked.Increment(ref _nextTag);
        session.Send(new HistoryRequest(tag, cursor.Room, cursor.Next, _options.HistoryBatch).ToFrame());
    }

    private void OnAck(Ack ack)
    {
        Outgoing? done = null;
        lock (_gate)
        {
            var index = _outbox.FindIndex(o => o.Entry.MessageId == ack.MessageId);
            if (index >= 0)
            {
                done = _outbox[index];
                _outbox.RemoveAt(index);
                _state.Outbox.Remove(done.Entry);
            }
        }

        if (done is not null)
        {
            MarkStateDirty();
            done.Completion.TrySetResult(ack.Sequence);
        }
    }

    private void OnError(Session session, ErrorReply error)
    {
        if (session.TakePublish(error.Tag, out var messageId))
        {
            Outgoing? outgoing;
            lock (_gate)
            {
                outgoing = _outbox.Find(o => o.Entry.MessageId == messageId);
            }

            if (outgoing is null)
            {
                return;
            }

            if (error.Code is ErrorIds.RateLimited or ErrorIds.StoreUnavailable)
            {
                // Transient: the message keeps its id and goes again shortly.
                _ = Task.Delay(TimeSpan.FromMilliseconds(500), _disposing.Token).ContinueWith(_ =>
                {
                    lock (_gate)
                    {
                        SendPublish(_session, outgoing);
                    }
                }, TaskScheduler.Default);
                return;
            }

            lock (_gate)
            {
                _outbox.Remove(outgoing);
                _state.Outbox.Remove(outgoing.Entry);
            }

            MarkStateDirty();
            outgoing.Completion.TrySetException(new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message));
            return;
        }

        session.Fail(error.Tag, new OpenChatException(error.Code, ChatEnrollment.KindOf(error.Code), error.Message));
    }
}
