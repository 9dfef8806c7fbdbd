using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>Connections from accept to close: admission (caps per address, enrollments, a full
/// server), the TLS handshake and greeting, the read loop, and enrollment by invite.</summary>
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

                continue;
            }

            int open;
            lock (_gate)
            {
                open = _connections.Count;
            }

            var address = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (open + Volatile.Read(ref _handshaking) >= _options.MaxConnections)
            {
                Interlocked.Increment(ref _refused);
                if (!_busy.TryRefuse(socket, _options.MaxConnections, _stopping.Token))
                {
                    socket.Dispose();
                }

                continue;
            }

            if (!TryStartPending(address))
            {
                Interlocked.Increment(ref _refused);
                socket.Dispose();
                continue;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => ServeAsync(socket, address));
        }
    }

    private bool TryStartPending(IPAddress address)
    {
        lock (_pendingByAddress)
        {
            var pending = _pendingByAddress.GetValueOrDefault(address);
            if (pending >= _options.MaxPendingPerAddress)
            {
                return false;
            }

            _pendingByAddress[address] = pending + 1;
            return true;
        }
    }

    private void EndPending(IPAddress address)
    {
        lock (_pendingByAddress)
        {
            if (_pendingByAddress.TryGetValue(address, out var pending) && pending > 1)
            {
                _pendingByAddress[address] = pending - 1;
            }
            else
            {
                _pendingByAddress.Remove(address);
            }
        }
    }

    private async Task ServeAsync(Socket socket, IPAddress address)
    {
        socket.NoDelay = true;
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        ClientConnection? connection = null;
        var countedEnrollment = false;
        var pending = true;
        Interlocked.Increment(ref _handshaking);
        try
        {
            PeerIdentity? identity = null;
            var refusal = "";
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                handshake.CancelAfter(_options.HandshakeTimeout);
                var tls = new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificateContext,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ClientCertificateRequired = true,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    // The platform's own chain build must not download issuers named by a client's
                    // certificate (a stall and a request forgery); our callback decides alone.
                    CertificateChainPolicy = _clientChainPolicy,
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    {
                        // No certificate: an enrollment connection, which can only redeem an invite.
                        if (certificate is null)
                        {
                            return true;
                        }

                        // The TLS stack built the chain with our policy (this CA only, clientAuth,
                        // validity, no downloads); what remains is the store: issued here, not revoked.
                        if (errors != SslPolicyErrors.None)
                        {
                            refusal = $"the certificate does not chain to this server's CA, is outside its validity or lacks clientAuth ({errors})";
                            return false;
                        }

                        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                        identity = _validator.ValidateIssued(presented, out refusal);
                        return identity is not null;
                    },
                };
                await stream.AuthenticateAsServerAsync(tls, handshake.Token).ConfigureAwait(false);

                var reader = new FrameReader(stream);
                var first = await reader.ReadAsync(handshake.Token).ConfigureAwait(false);
                if (first is not { Type: MessageType.Hello } hello)
                {
                    await SendAndCloseAsync(stream, new Bye(ErrorIds.ProtocolViolation, "The first frame must be Hello.")).ConfigureAwait(false);
                    return;
                }

                var greeting = Hello.Read(hello.Payload.Span);
                if (greeting.MinVersion > ProtocolVersion || greeting.MaxVersion < ProtocolVersion)
                {
                    await SendAndCloseAsync(stream, new Bye(ErrorIds.VersionUnsupported,
                        $"This server speaks protocol version {ProtocolVersion}; the client offered {greeting.MinVersion}..{greeting.MaxVersion}.")).ConfigureAwait(false);
                    return;
                }

                // Revoked after the TLS handshake but before this greeting: the watch loop looks
                // only at recent revocations, and this connection was not yet among its own.
                if (identity is not null && _directory.Store.GetCertificate(identity.Serial) is { RevokedAt: not null })
                {
                    await SendAndCloseAsync(stream, new Bye(ErrorIds.CertificateRevoked, "Your certificate was revoked by the server's admin.")).ConfigureAwait(false);
                    return;
                }

                if (identity is null)
                {
                    if (Interlocked.Increment(ref _enrolling) > _options.MaxEnrollmentConnections)
                    {
                        Interlocked.Decrement(ref _enrolling);
                        Interlocked.Increment(ref _refused);
                        await SendAndCloseAsync(stream, new Bye(ErrorIds.ServerBusy, "Too many enrollments are in progress on this server; try again in a few seconds.")).ConfigureAwait(false);
                        return;
                    }

                    countedEnrollment = true;
                }

                connection = new ClientConnection(Interlocked.Increment(ref _nextId), stream, identity, _options.SendQueueFrames, _options)
                {
                    EnrollmentNonce = identity is null ? System.Security.Cryptography.RandomNumberGenerator.GetBytes(InviteProof.NonceLength) : [],
                };
                lock (_gate)
                {
                    _connections[connection.Id] = connection;
                }

                Interlocked.Decrement(ref _handshaking);
                EndPending(address);
                pending = false;
                connection.Send(new Welcome(ProtocolVersion, "OpenChat", identity?.UserName ?? "", identity?.Serial ?? "", _caPem, connection.EnrollmentNonce));
                _hub.Connected(connection);
                var writer = connection.WriteLoopAsync();
                await ReadLoopAsync(connection, reader).ConfigureAwait(false);
                await writer.ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Handshake failures, timeouts, protocol violations and resets end this connection only.
        }
        finally
        {
            if (countedEnrollment)
            {
                Interlocked.Decrement(ref _enrolling);
            }

            if (pending)
            {
                EndPending(address);
            }

            if (connection is null)
            {
                Interlocked.Decrement(ref _handshaking);
                stream.Dispose();
            }
            else
            {
                connection.Abort(connection.CloseReason.Length > 0 ? connection.CloseReason : "Closed");
                _hub.Disconnected(connection);
                lock (_gate)
                {
                    _connections.Remove(connection.Id);
                }

                RaiseClosed(connection);
            }
        }
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
                    await EnrollAsync(connection, frame.Value).ConfigureAwait(false);
                    continue;
                }

                await _hub.HandleAsync(connection, frame.Value).ConfigureAwait(false);
            }
        }
        catch (ProtocolException e)
        {
            connection.Close(ErrorIds.ProtocolViolation, e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            connection.Abort(connection.CloseReason.Length > 0 ? connection.CloseReason : "ConnectionLost");
        }
    }

    /// <summary>All an unauthenticated connection may do: redeem an invite, once.</summary>
    private Task EnrollAsync(ClientConnection connection, Frame frame)
    {
        if (frame.Type == MessageType.Ping)
        {
            connection.Send(new Pong(Ping.Read(frame.Payload.Span).Nonce));
            return Task.CompletedTask;
        }

        if (frame.Type != MessageType.Enroll)
        {
            connection.Close(ErrorIds.NotEnrolled, "This connection has no client certificate: it can only redeem an invite.");
            return Task.CompletedTask;
        }

        var request = Enroll.Read(frame.Payload.Span);
        if (connection.Enrolled)
        {
            connection.Close(ErrorIds.NotEnrolled, "One enrollment per connection.");
            return Task.CompletedTask;
        }

        connection.Enrolled = true;

        try
        {
            // The proof must be for this connection: the certificate this server presented in
            // its handshake and the nonce it sent in Welcome.
            var claim = new EnrollmentClaim(request.InviteId, request.UserName, request.CertificateRequest, request.Proof);
            var issued = _ca.Enroll(claim, _serverCertificateHash, connection.EnrollmentNonce);
            connection.Send(new Enrolled(request.Tag, issued.Certificate.ExportCertificatePem(), _directory.Certificate.ExportCertificatePem()));
            issued.Certificate.Dispose();
        }
        catch (OpenChatException e)
        {
            connection.Send(new ErrorReply(request.Tag, e.ErrorId, e.Message));
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or System.Security.Cryptography.CryptographicException)
        {
            // The enrolling user gets an answer, not a dropped connection; the admin gets the cause.
            System.Diagnostics.Trace.TraceError($"OpenChat: an enrollment failed: {e.GetType().Name}: {e.Message}");
            connection.Send(new ErrorReply(request.Tag, ErrorIds.StoreUnavailable, "The server could not complete the enrollment; try again later or ask the admin."));
        }

        return Task.CompletedTask;
    }

    private static async Task SendAndCloseAsync(SslStream stream, IMessage message)
    {
        try
        {
            await stream.WriteAsync(message.ToFrame()).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}
