using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>Keeping the client connected: opening a connection, resending the outbox, rejoining
/// rooms from their cursors, and closing for good when retrying cannot help. When to reconnect
/// and how long to wait is the <see cref="ReconnectSupervisor"/>'s.</summary>
public sealed partial class ChatClient
{
    private void StartBackground() => _background = Task.WhenAll(
        Task.Run(() => _supervisor.SuperviseAsync(_disposing.Token)),
        Task.Run(() => _supervisor.KeepAliveAsync(_disposing.Token)),
        Task.Run(() => _store.RunAsync(_options.Time, _disposing.Token)),
        Task.Run(() => RenewalLoopAsync(_disposing.Token)));

    private async Task OpenConnectionAsync(CancellationToken cancellationToken)
    {
        await RenewIfExpiredAsync(cancellationToken).ConfigureAwait(false);
        // Every live pinned root: after a CA rollover the server's certificate chains to the new
        // root, or through the cross-certificate it sends to the old one.
        var roots = _roots.RequireLive();
        var opened = await ClientTransport.OpenAsync(_server, System.Security.Cryptography.SHA256.HashData(roots[0].RawData), roots[0], _identity,
            _options.ConnectTimeout, cancellationToken, revokedSerials: _profile.LoadRevokedSerials(_log), time: _options.Time,
            additionalRoots: [.. roots.Skip(1)]).ConfigureAwait(false);
        var connection = new ServerConnection(opened.Stream, opened.Reader, _options.Time, _connectionLog);
        List<RoomCursor> rooms;
        lock (_gate)
        {
            // The outbox goes first and in its order; only then can new messages use the
            // connection, so a sender's messages keep their order across a reconnect.
            foreach (var publish in _outbox.InOrder)
            {
                SendPublish(connection, publish);
            }

            _connection = connection;
            rooms = [.. _rooms.All];
        }

        ClientLog.Connected(_log, _server, UserName);
        connection.ReadLoop = Task.Run(() => ReadLoopAsync(connection));
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
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
        }
        catch (OpenChatException e)
        {
            // The next reconnect tries again; a room we were removed from stays silent.
            ClientLog.RejoinFailed(_log, cursor.Room, e.ErrorId);
        }
        catch (Exception e)
        {
            _log.Failed(e, "client.rejoin");
        }
    }

    // The client is over: save, then let another session use the identity.
    private void CloseForGood(string reason)
    {
        ClosedReason ??= reason;
        ClientLog.ClosedForGood(_log, _server, reason);
        _store.SaveNow();
        _store.Release();
        SetState(ChatClientState.Closed, reason);
        _events.Writer.TryComplete();
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
        catch (Exception e)
        {
            // A subscriber's failure must not stop the client.
            _log.Failed(e, "client.state-handler");
        }
    }

    /// <summary>The client as the supervisor sees it.</summary>
    private sealed class Target(ChatClient client) : IReconnectTarget
    {
        public Task CurrentEnded => client._connection!.Ended.Task;

        public string? ClosedReason => client.ClosedReason;

        public Task OpenAsync(CancellationToken cancellationToken) => client.OpenConnectionAsync(cancellationToken);

        public void Reconnecting() => client.SetState(ChatClientState.Reconnecting, "ConnectionLost");

        public void Reconnected() => client.SetState(ChatClientState.Connected, "Reconnected");

        public void CloseForGood(string reason) => client.CloseForGood(reason);

        public void Ping(ulong nonce) => client._connection?.Send(new Ping(nonce).ToFrame());
    }
}
