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
        var (node, opened) = await OpenOnSomeNodeAsync(roots, cancellationToken).ConfigureAwait(false);
        if (_nodes.Learn(opened.Welcome.Nodes))
        {
            _store.MarkDirty();
        }

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

        ClientLog.Connected(_log, node, UserName);
        connection.ReadLoop = Task.Run(() => ReadLoopAsync(connection));
        foreach (var cursor in rooms)
        {
            _ = RejoinAsync(cursor);
        }
    }

    // The node the client was on first, then the others the last Welcome listed: a node that is
    // gone (refused, unreachable, busy) sends the client on to the next; a refusal of this
    // identity or a server we do not trust ends the attempt, as on a single server.
    private async Task<(string Node, ClientTransport.Opened Opened)> OpenOnSomeNodeAsync(IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> roots,
        CancellationToken cancellationToken)
    {
        var candidates = _nodes.Candidates();
        var previous = candidates[0];
        Exception? last = null;
        Exception? untrusted = null;
        foreach (var node in candidates)
        {
            try
            {
                var opened = await ClientTransport.OpenAsync(node, System.Security.Cryptography.SHA256.HashData(roots[0].RawData), roots[0], _identity,
                    _options.ConnectTimeout, cancellationToken, revokedSerials: _profile.LoadRevokedSerials(_log), time: _options.Time,
                    additionalRoots: [.. roots.Skip(1)]).ConfigureAwait(false);
                if (!string.Equals(node, previous, StringComparison.OrdinalIgnoreCase))
                {
                    ClientLog.MovedToNode(_log, previous, node);
                }

                _nodes.Connected(node);
                return (node, opened);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && candidates.Count > 1 && !RefusesThisIdentity(e))
            {
                // A node that is down, busy, or not one we trust (a wrong name, a revoked server
                // certificate) sends the client on; only if no node will do is that the answer,
                // and a node that was merely down wins, so the client keeps trying.
                ClientLog.NodeUnreachable(_log, node, (e as OpenChatException)?.ErrorId ?? e.GetType().Name);
                if (ReconnectSupervisor.IsFinal(e))
                {
                    untrusted ??= e;
                }
                else
                {
                    last = e;
                }
            }
        }

        throw last ?? untrusted!;
    }

    // The same on every node of one CA: this identity is refused, so trying the others cannot help.
    private static bool RefusesThisIdentity(Exception e) => ReconnectSupervisor.IsFinal(e)
        && e is OpenChatException { ErrorId: not (ErrorIds.ServerNotTrusted or ErrorIds.ServerCertificateRevoked) };

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
        ClientLog.ClosedForGood(_log, _nodes.Current, reason);
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
