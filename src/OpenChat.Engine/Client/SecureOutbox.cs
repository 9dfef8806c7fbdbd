using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// The outbox of messages as typed. A message is queued (and the session's state saved, so it is
/// kept encrypted in the profile) before anything else happens; one sender per room then sends
/// the room's queued messages one at a time, in order, whenever the session is connected. Each
/// is encrypted only when it can really go, in the room's epoch of that moment, and keeps its
/// message id through every attempt and restart, so the server stores it once. A direct message
/// to someone with no device in the conversation yet waits (pending, for them) until one joins.
/// </summary>
internal sealed class SecureOutbox(ChatClient client, DeviceIdentity identity, SecureInbox inbox, SessionStateStore state,
    IQueuedDelivery delivery, ILogger log, CancellationToken closing)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly List<OutgoingMessage> _outgoing = [];
    private readonly Dictionary<string, Sender> _senders = new(StringComparer.Ordinal);
    // Rooms whose messages cannot go now, with the other person they wait for (null: the server).
    private readonly Dictionary<string, string?> _waitingRooms = new(StringComparer.Ordinal);
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Restore(IEnumerable<QueuedMessage> saved)
    {
        lock (_gate)
        {
            _outgoing.AddRange(saved.Select(queued => new OutgoingMessage(queued, restored: true)));
        }
    }

    public List<QueuedMessage> Snapshot()
    {
        lock (_gate)
        {
            return [.. _outgoing.Select(o => o.Entry)];
        }
    }

    /// <summary>Messages queued and not yet stored by the server, and the encryption's own
    /// publishes (key packages, commits) waiting for its acknowledgement.</summary>
    public int PendingMessages
    {
        get
        {
            var publishes = client.PendingOutgoingIds();
            lock (_gate)
            {
                var queued = _outgoing.Select(o => o.MessageId).ToHashSet();
                return queued.Count + publishes.Count(id => !queued.Contains(id));
            }
        }
    }

    /// <summary>The queued messages not yet stored, in order (of one room, or of all).</summary>
    public IReadOnlyList<OutgoingMessage> Outgoing(string? room = null)
    {
        lock (_gate)
        {
            return [.. _outgoing.Where(o => room is null || string.Equals(o.Room, room, StringComparison.Ordinal))];
        }
    }

    /// <summary>Queues a message checked by the caller: saved first, then sent by the room's sender.</summary>
    public OutgoingMessage Queue(string room, string text)
    {
        ThrowIfClosed();
        var outgoing = new OutgoingMessage(new QueuedMessage { MessageId = Guid.CreateVersion7(), Room = room, Text = text, QueuedAt = client.Time.GetUtcNow() }, restored: false);
        lock (_gate)
        {
            _outgoing.Add(outgoing);
        }

        if (!state.SaveNow())
        {
            lock (_gate)
            {
                _outgoing.Remove(outgoing);
            }

            ThrowIfClosed();
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                "The session's state could not be saved (disk full or not writable), so the message was not kept or sent.");
        }

        lock (_gate)
        {
            if (client.State != ChatClientState.Connected || _waitingRooms.ContainsKey(room))
            {
                outgoing.Defer(_waitingRooms.GetValueOrDefault(room));
            }

            StartSenderLocked(room);
        }

        return outgoing;
    }

    public void ThrowIfClosed()
    {
        if (client.State == ChatClientState.Closed || closing.IsCancellationRequested)
        {
            throw client.ClosedReason == ErrorIds.CertificateRevoked
                ? new OpenChatException(ErrorIds.CertificateRevoked, ErrorKind.AuthenticationFailed,
                    "This identity's certificate was revoked; the server no longer accepts it, and reconnecting will not help.")
                : new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                    $"The session is closed ({client.ClosedReason ?? "disconnected"}); connect again to send.");
        }
    }

    // Failures that a later attempt can get past: the message stays queued.
    public static bool IsTransient(OpenChatException e) => e.ErrorId is ErrorIds.ConnectionLost or ErrorIds.Timeout or ErrorIds.StoreUnavailable
        or ErrorIds.RateLimited or ErrorIds.StaleEpoch or ErrorIds.ServerBusy or ErrorIds.ServerUnreachable;

    public void StartQueuedSenders()
    {
        lock (_gate)
        {
            foreach (var room in _outgoing.Select(o => o.Room).Distinct(StringComparer.Ordinal).ToList())
            {
                StartSenderLocked(room);
            }
        }
    }

    private void StartSenderLocked(string room)
    {
        if (!_senders.ContainsKey(room) && !closing.IsCancellationRequested)
        {
            var sender = new Sender();
            _senders[room] = sender;
            sender.Task = Task.Run(() => SendQueuedAsync(room, sender));
        }
    }

    public Task[] Senders()
    {
        lock (_gate)
        {
            return [.. _senders.Values.Select(s => s.Task)];
        }
    }

    // One per room with queued messages: sends them one at a time, in order, and ends when none is left.
    private async Task SendQueuedAsync(string room, Sender self)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        try
        {
            while (true)
            {
                OutgoingMessage? next;
                lock (_gate)
                {
                    next = _outgoing.Find(o => string.Equals(o.Room, room, StringComparison.Ordinal));
                    if (next is null || closing.IsCancellationRequested)
                    {
                        // Decided under the lock: a message queued from now on starts a new sender.
                        _waitingRooms.Remove(room);
                        _senders.Remove(room);
                        return;
                    }
                }

                if (client.State == ChatClientState.Closed)
                {
                    if (client.ClosedReason == ErrorIds.CertificateRevoked)
                    {
                        Fail(next, new OpenChatException(ErrorIds.CertificateRevoked, ErrorKind.AuthenticationFailed,
                            "This identity's certificate was revoked; the message can never be sent with it."));
                        continue;
                    }

                    // Closed for another reason: the message stays saved for the next session.
                    Wait(room);
                    return;
                }

                if (client.State != ChatClientState.Connected)
                {
                    Wait(room);
                    await WaitConnectedAsync().ConfigureAwait(false);
                    continue;
                }

                lock (_gate)
                {
                    _waitingRooms.Remove(room);
                }

                // Taken before the attempt, so that a reconnect or a revocation list that comes
                // during it still ends a wait for the other person below.
                var connection = Volatile.Read(ref _connected).Task;
                var newList = delivery.NextRevocationList;
                try
                {
                    var sequence = await delivery.DeliverAsync(next, closing).ConfigureAwait(false);
                    Sent(next, sequence);
                    delay = TimeSpan.FromMilliseconds(250);
                }
                catch (Exception) when (closing.IsCancellationRequested)
                {
                    return; // closing: what is still queued was saved and goes with the next session
                }
                catch (OpenChatException e) when (e.ErrorId == ErrorIds.PeerNotJoined)
                {
                    await WaitForPeerAsync(room, connection, newList).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or System.Security.Cryptography.CryptographicException
                    || (e is OpenChatException transient && IsTransient(transient)))
                {
                    // Kept and tried again: the network, or a replayed revocation list.
                    SecureLog.QueuedMessageRetrying(log, room, (e as OpenChatException)?.ErrorId ?? e.GetType().Name);
                    Wait(room);
                    if (client.State == ChatClientState.Connected)
                    {
                        await Task.Delay(delay, closing).ConfigureAwait(false);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                    }
                }
                catch (OpenChatException e)
                {
                    Fail(next, e);
                }
                catch (Exception e)
                {
                    log.Failed(e, "secure.outbox.deliver");
                    Fail(next, new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidData, $"The message could not be sent ({e.GetType().Name}: {e.Message})."));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing: what is still queued was saved and goes with the next session.
        }
        catch (Exception e)
        {
            // Never let a background failure reach the host process; the next Queue starts a sender again.
            log.Failed(e, "secure.outbox.sender");
        }
        finally
        {
            lock (_gate)
            {
                if (_senders.TryGetValue(room, out var current) && ReferenceEquals(current, self))
                {
                    _senders.Remove(room);
                }
            }
        }
    }

    private sealed class Sender
    {
        public Task Task { get; set; } = Task.CompletedTask;
    }

    // The room's queued messages cannot go now: whoever waits for them is told they are kept (and,
    // with a peer, that they wait for that person).
    private void Wait(string room, string? peer = null)
    {
        lock (_gate)
        {
            _waitingRooms[room] = peer;
            foreach (var outgoing in _outgoing.Where(o => string.Equals(o.Room, room, StringComparison.Ordinal)))
            {
                outgoing.Defer(peer);
            }
        }
    }

    // No device of the other person is in the direct conversation's group yet: no message of it
    // may be encrypted, and none is refused either. They wait, without polling, until a device of
    // theirs joins (the pump's progress), the connection changes (it is entered again then), or
    // a newer revocation list came (the next attempt asks the server whether they are still a
    // user, and fails the messages with UserNotFound if not).
    private async Task WaitForPeerAsync(string room, Task connection, Task newList)
    {
        var (a, b) = RoomNames.DirectMembers(room);
        var peer = a == UserNamePolicy.Normalize(client.UserName) ? b : a;
        Wait(room, peer);
        SecureLog.QueuedMessageWaitingForPeer(log, room);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(closing);
        var joined = delivery.WaitForPeerAsync(room, stop.Token);
        await Task.WhenAny(joined, connection, newList).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await joined.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the connection changed or a revocation list came first, or closing: the loop sees which
        }

        SecureLog.PeerJoinedDirectRoom(log, room);
        lock (_gate)
        {
            foreach (var outgoing in _outgoing.Where(o => string.Equals(o.Room, room, StringComparison.Ordinal)))
            {
                outgoing.PeerJoined();
            }
        }
    }

    private async Task WaitConnectedAsync()
    {
        var connected = Volatile.Read(ref _connected);
        if (client.State is ChatClientState.Connected or ChatClientState.Closed)
        {
            return;
        }

        await connected.Task.WaitAsync(closing).ConfigureAwait(false);
    }

    public void OnClientStateChanged(ChatClientState now)
    {
        if (now != ChatClientState.Reconnecting)
        {
            // Connected again, or closed for good: the senders look at the state again.
            Interlocked.Exchange(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        if (now is ChatClientState.Reconnecting or ChatClientState.Closed)
        {
            lock (_gate)
            {
                foreach (var outgoing in _outgoing)
                {
                    outgoing.Defer();
                }
            }
        }
    }

    private void Sent(OutgoingMessage outgoing, ulong sequence)
    {
        lock (_gate)
        {
            _outgoing.Remove(outgoing);
        }

        outgoing.Complete(sequence);
        state.MarkChanged();
    }

    private void Fail(OutgoingMessage outgoing, OpenChatException error)
    {
        bool queued;
        lock (_gate)
        {
            queued = _outgoing.Remove(outgoing);
        }

        if (!queued)
        {
            return;
        }

        SecureLog.QueuedMessageFailed(log, outgoing.Room, error.ErrorId);
        // Whoever queued it was told it is pending (or was another run): the refusal must not be
        // silent, so it waits in the inbox like a message.
        if (outgoing.Restored || outgoing.Deferred.IsCompleted)
        {
            var preview = outgoing.Text.Length > 60 ? outgoing.Text[..60] + "…" : outgoing.Text;
            inbox.Add(new SecureMessage(outgoing.Room, 0, client.UserName, identity.Serial, "", client.Time.GetUtcNow(), outgoing.QueuedAt, true, ContactTrust.Verified, error.ErrorId, 0, false, 0)
            {
                IsNotice = true,
                IsOwn = true,
                MessageId = outgoing.MessageId,
                Notice = new NotSentNotice(preview, outgoing.QueuedAt, error.ErrorId, error.Message),
            });
        }

        outgoing.Fail(error);
        state.MarkChanged();
    }

    public void FailQueued(string room, OpenChatException error)
    {
        foreach (var outgoing in Outgoing(room))
        {
            Fail(outgoing, error);
        }
    }

    // The pump saw a message of ours stored: whatever happened to its acknowledgement (lost with
    // a connection or an earlier run), it is sent, and is never encrypted again.
    public void CompleteQueued(RoomEvent e)
    {
        if (e.Kind != EventKind.Chat || !identity.IsOwn(e.SenderSerial))
        {
            return;
        }

        OutgoingMessage? done;
        lock (_gate)
        {
            done = _outgoing.Find(o => o.MessageId == e.MessageId && string.Equals(o.Room, e.Room, StringComparison.Ordinal));
        }

        if (done is not null)
        {
            Sent(done, e.Sequence);
        }
    }

    public void AbandonQueued()
    {
        foreach (var outgoing in Outgoing())
        {
            outgoing.Abandon(new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable,
                "The session closed before the message could be sent; it stays in the outbox and goes with the next session."));
        }
    }
}
