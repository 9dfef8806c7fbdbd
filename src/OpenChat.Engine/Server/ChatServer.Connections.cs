using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>One connection from accept to close, through the components: admission, the
/// handshake and greeting, then the read loop that hands frames to the enrollment endpoint (no
/// certificate) or the room hub, and the bookkeeping when it ends.</summary>
public sealed partial class ChatServer
{
    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                // A connection reset before it was accepted: the next one is not affected.
                _log.Failed(e, "server.accept");
                continue;
            }

            var remote = socket.RemoteEndPoint as IPEndPoint;
            if (_admission.TryAdmit(socket, remote, OpenConnections(), _stopping.Token))
            {
                _ = Task.Run(() => ServeAsync(socket, remote));
            }
        }
    }

    private int OpenConnections()
    {
        lock (_gate)
        {
            return _connections.Count;
        }
    }

    private async Task ServeAsync(Socket socket, IPEndPoint? remote)
    {
        var address = remote?.Address ?? IPAddress.None;
        var remoteAddress = remote?.ToString() ?? "";
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        ClientConnection? connection = null;
        var countedEnrollment = false;
        string? sessionUser = null;
        var handshaking = true;
        try
        {
            socket.NoDelay = true;
            var peer = await _handshake.RunAsync(stream, remoteAddress, _stopping.Token).ConfigureAwait(false);
            if (peer is null)
            {
                return;
            }

            if (peer.Identity is null)
            {
                if (!_admission.TryBeginEnrollment(address, remoteAddress, out var busy))
                {
                    await _handshake.SayGoodbyeAsync(stream, busy, remoteAddress).ConfigureAwait(false);
                    return;
                }

                countedEnrollment = true;
            }
            else
            {
                var user = Pki.UserNamePolicy.Normalize(peer.Identity.UserName);
                if (!_admission.TryBeginSession(user, address, remoteAddress, out var tooMany))
                {
                    await _handshake.SayGoodbyeAsync(stream, tooMany, remoteAddress).ConfigureAwait(false);
                    return;
                }

                sessionUser = user;
            }

            connection = new ClientConnection(Interlocked.Increment(ref _nextId), stream, peer.Identity, _options.SendQueueFrames, _options, peer.ClientCertificate)
            {
                RenewalOnly = peer.RenewalOnly,
                EnrollmentNonce = peer.Identity is null ? System.Security.Cryptography.RandomNumberGenerator.GetBytes(Pki.InviteProof.NonceLength) : [],
                ServerCertificateHash = peer.ServerCertificateHash,
                RemoteAddress = remoteAddress,
                Log = _log,
            };
            bool stopping;
            lock (_gate)
            {
                // StopAsync closes the connections it finds once; one whose handshake ends after
                // that sweep would otherwise hold its client until the final abort, seconds later.
                stopping = State != ChatServerState.Running;
                if (!stopping)
                {
                    _connections[connection.Id] = connection;
                }
            }

            if (stopping)
            {
                connection = null;
                await _handshake.SayGoodbyeAsync(stream, new Bye(ErrorIds.ServerShutdown, "The server is shutting down."), remoteAddress).ConfigureAwait(false);
                return;
            }

            _admission.HandshakeEnded(address);
            handshaking = false;
            _handshake.Welcome(connection);
            // Roots go to a renewal-only connection too: its renewal is issued under the newest
            // root, which a device offline for a whole rollover learns only here.
            OfferRoots(connection);
            if (!connection.RenewalOnly)
            {
                // A renewal-only connection is nobody's presence: it renews and goes.
                _hub.Connected(connection);
            }

            _log.ConnectionOpened(connection.UserName, remoteAddress, connection.Id);
            var writer = connection.WriteLoopAsync();
            await ReadLoopAsync(connection, peer.Reader).ConfigureAwait(false);
            await writer.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever else goes wrong on a connection ends that connection only.
            _log.Failed(e, "server.connection");
        }
        finally
        {
            if (countedEnrollment)
            {
                _admission.EnrollmentEnded(address);
            }

            if (sessionUser is not null)
            {
                _admission.SessionEnded(sessionUser, address);
            }

            if (handshaking)
            {
                _admission.HandshakeEnded(address);
            }

            if (connection is null)
            {
                stream.Dispose();
            }
            else
            {
                Ended(connection);
            }
        }
    }

    private void Ended(ClientConnection connection)
    {
        connection.Abort(connection.CloseReason.Length > 0 ? connection.CloseReason : "Closed");
        if (!connection.RenewalOnly)
        {
            _hub.Disconnected(connection);
        }

        lock (_gate)
        {
            _connections.Remove(connection.Id);
        }

        if (connection.CloseReason == ErrorIds.SlowReader)
        {
            _log.SlowReaderDropped(connection.UserName, connection.RemoteAddress);
        }

        _log.ConnectionClosed(connection.UserName, connection.RemoteAddress, connection.Id, connection.CloseReason);
        RaiseClosed(connection);
    }

    private async Task ReadLoopAsync(ClientConnection connection, FrameReader reader)
    {
        try
        {
            while (!connection.IsClosed)
            {
                var frame = await reader.ReadAsync(connection.Closing).ConfigureAwait(false);
                if (frame is null)
                {
                    connection.Abort(ErrorIds.ClientClosed);
                    return;
                }

                connection.Touch();
                if (connection.Identity is null)
                {
                    _enrollment.Serve(connection, frame.Value);
                    continue;
                }

                if (connection.RenewalOnly)
                {
                    _renewals.ServeRenewalOnly(connection, frame.Value);
                    continue;
                }

                if (frame.Value.Type == MessageType.RenewCertificate)
                {
                    _renewals.Renew(connection, (RenewCertificate)MessageCodec.Decode(frame.Value));
                    continue;
                }

                await _hub.HandleAsync(connection, frame.Value).ConfigureAwait(false);
            }
        }
        catch (ProtocolException e)
        {
            _log.ProtocolViolation(connection.UserName, connection.RemoteAddress, e.Message);
            connection.Close(ErrorIds.ProtocolViolation, e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            _log.ConnectionLost(connection.UserName, connection.RemoteAddress, e.GetType().Name);
            connection.Abort(connection.CloseReason.Length > 0 ? connection.CloseReason : "ConnectionLost");
        }
    }
}
