using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>Keeping the client connected: opening a session, rejoining rooms from their cursors,
/// reconnecting with back-off, keep-alive pings, and closing for good when retrying cannot help.</summary>
public sealed partial class ChatClient
{
    private async Task OpenSessionAsync(CancellationToken cancellationToken)
    {
        var opened = await ClientTransport.OpenAsync(_server, _profile.CaFingerprint, _ca, _identity, _options.ConnectTimeout, cancellationToken,
            revokedSerials: _profile.LoadRevokedSerials()).ConfigureAwait(false);
        var session = new Session(opened.Stream, opened.Reader);
        List<RoomCursor> rooms;
        lock (_gate)
        {
            // The outbox goes first and in its order; only then can new messages use the session,
            // so a sender's messages keep their order across a reconnect.
            foreach (var outgoing in _outbox)
            {
                SendPublish(session, outgoing);
            }

            _session = session;
            rooms = [.. _rooms.Values];
        }

        session.ReadLoop = Task.Run(() => ReadLoopAsync(session));
        foreach (var cursor in rooms)
        {
            _ = RejoinAsync(cursor);
        }
    }

    private async Task RejoinAsync(RoomCursor cursor)
    {
        try
        {
            var joined = await RequestAsync<Joined>(tag => new NameRequest(MessageType.Join, tag, cursor.Room), _disposing.Token).ConfigureAwait(false);
            OnJoined(joined);
        }
        catch (Exception)
        {
            // The next reconnect tries again; a room we were removed from stays silent.
        }
    }

    private async Task SuperviseAsync()
    {
        try
        {
            while (!_disposing.IsCancellationRequested)
            {
                var session = _session!;
                await session.Ended.Task.WaitAsync(_disposing.Token).ConfigureAwait(false);
                if (ClosedReason is not null || !_options.Reconnect)
                {
                    ClosedReason ??= "ConnectionLost";
                    CloseForGood(ClosedReason);
                    return;
                }

                SetState(ChatClientState.Reconnecting, "ConnectionLost");
                var delay = TimeSpan.FromMilliseconds(50);
                while (!_disposing.IsCancellationRequested)
                {
                    try
                    {
                        await OpenSessionAsync(_disposing.Token).ConfigureAwait(false);
                        SetState(ChatClientState.Connected, "Reconnected");
                        break;
                    }
                    catch (OpenChatException e) when (e.ErrorId is ErrorIds.ConnectionRefused or ErrorIds.ServerNotTrusted or ErrorIds.CertificateRevoked
                        or ErrorIds.ServerCertificateRevoked)
                    {
                        // The server no longer accepts this identity: retrying cannot help.
                        ClosedReason = e.ErrorId;
                        CloseForGood(e.ErrorId);
                        return;
                    }
                    catch (Exception) when (!_disposing.IsCancellationRequested)
                    {
                        await Task.Delay(delay, _disposing.Token).ConfigureAwait(false);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
            // Never let a background failure reach the host process.
        }
    }

    // The session is over: save, then let another session use the identity.
    private void CloseForGood(string reason)
    {
        SaveStateNow();
        lock (_ownerGate)
        {
            lock (_gate)
            {
                _profileLock?.Dispose();
                _profileLock = null;
                _released = true;
            }
        }

        SetState(ChatClientState.Closed, reason);
        _events.Writer.TryComplete();
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(_options.KeepAliveInterval.TotalMilliseconds, 500)));
        var lastPing = Environment.TickCount64;
        try
        {
            while (await timer.WaitForNextTickAsync(_disposing.Token).ConfigureAwait(false))
            {
                if (Environment.TickCount64 - lastPing >= _options.KeepAliveInterval.TotalMilliseconds)
                {
                    lastPing = Environment.TickCount64;
                    _session?.Send(new Ping((ulong)lastPing).ToFrame());
                }

                if (Interlocked.Exchange(ref _stateDirty, 0) != 0)
                {
                    SaveStateNow();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
        }
    }

    private void SetState(ChatClientState state, string reason)
    {
        if (State == state)
        {
            return;
        }

        State = state;
        try
        {
            StateChanged?.Invoke(this, new ChatClientStateChangedEventArgs(state, reason));
        }
        catch (Exception)
        {
        }
    }
}
