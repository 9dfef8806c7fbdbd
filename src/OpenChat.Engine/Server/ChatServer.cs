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

public enum ChatServerState
{
    Running,
    Stopping,
    Stopped,
}

/// <summary>Live figures of a running server.</summary>
public sealed record ChatServerStatistics(int Connections, int Rooms, long MessagesStored, double MessagesPerSecond, long ConnectionsAccepted, long ConnectionsRefused);

/// <summary>
/// The chat server: a TLS 1.3 listener with mutual authentication against its own CA, the room
/// hub, and the durable log. Started with <see cref="StartAsync"/>, it serves on background tasks
/// until <see cref="StopAsync"/>. No exception escapes its tasks: each connection's failure ends
/// that connection only.
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    public const ushort ProtocolVersion = ChatProtocol.Version;

    private readonly ChatServerOptions _options;
    private readonly CaDirectory _directory;
    private readonly CertificateAuthority _ca;
    private readonly byte[] _serverCertificateHash;
    private readonly BusyRefusal _busy;
    private readonly SslStreamCertificateContext _certificateContext;
    private readonly ClientCertificateValidator _validator;
    private readonly TcpListener _listener;
    private readonly string _caPem;
    private readonly X509ChainPolicy _clientChainPolicy;
    private readonly FileStream _lock;
    private readonly IMessageStore _messages;
    private readonly RoomHub _hub;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<long, ClientConnection> _connections = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _acceptLoop = Task.CompletedTask;
    private Task _watchLoop = Task.CompletedTask;
    private long _nextId;
    private long _accepted;
    private long _refused;
    private int _handshaking;
    private readonly Dictionary<IPAddress, int> _pendingByAddress = [];
    private int _enrolling;

    private ChatServer(CaDirectory directory, CertificateAuthority ca, X509Certificate2 serverCertificate, ChatServerOptions options, FileStream serverLock)
    {
        _lock = serverLock;
        _options = options;
        _directory = directory;
        _ca = ca;
        ServerCertificate = serverCertificate;
        _serverCertificateHash = System.Security.Cryptography.SHA256.HashData(serverCertificate.RawData);
        _certificateContext = SslStreamCertificateContext.Create(serverCertificate, [directory.Certificate], offline: true);
        _busy = new BusyRefusal(_certificateContext, TimeSpan.FromSeconds(Math.Min(5, options.HandshakeTimeout.TotalSeconds)));
        _validator = new ClientCertificateValidator(directory.Certificate, directory.Store);
        _messages = new SqliteMessageStore(Path.Combine(directory.Path, SqliteMessageStore.FileName));
        _hub = new RoomHub(_messages, options, UserExists, CurrentRevocationList,
            serial => _directory.Store.GetCertificate(serial) is { RevokedAt: not null });
        _listener = new TcpListener(options.Address, options.Port);
        _caPem = directory.Certificate.ExportCertificatePem();
        _clientChainPolicy = _validator.ChainPolicy();
    }

    /// <summary>Where the server listens (kept after it stops, for reports).</summary>
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    public string DataPath => _directory.Path;

    public string CaFingerprint => CaDirectory.FormatFingerprint(_directory.Fingerprint);

    public X509Certificate2 ServerCertificate { get; }

    public ChatServerState State { get; private set; } = ChatServerState.Running;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Completes when the server has stopped (by <see cref="StopAsync"/> or a fatal listener error).</summary>
    public Task Completion => _stopped.Task;

    /// <summary>Raised (on a background thread) when a client connection closes; the reason is a stable code.</summary>
    public event EventHandler<ConnectionClosedEventArgs>? ConnectionClosed;

    /// <summary>
    /// Starts serving the data directory at <paramref name="path"/>. A directory without a CA gets
    /// one (and a server certificate for this machine's local names), so a bare path is enough.
    /// </summary>
    public static Task<ChatServer> StartAsync(string path, ChatServerOptions? options = null)
    {
        options ??= new ChatServerOptions();
        var directory = new CaDirectory(path);
        if (!directory.HasCa)
        {
            CertificateAuthority.Create(path, "OpenChat CA " + Environment.MachineName, options.CaPassword ?? "");
            directory = new CaDirectory(path);
        }

        if (options.AdvertisedAddress is not null)
        {
            ServerNames.ParseAddress(options.AdvertisedAddress);
        }

        var serverLock = TakeLock(directory);
        CertificateAuthority? ca = null;
        try
        {
            ca = CertificateAuthority.Open(directory, options.CaPassword ?? "");
            if (!File.Exists(directory.ServerCertificatePath) || !File.Exists(directory.ServerKeyPath))
            {
                ca.IssueServer([], []).Certificate.Dispose();
            }

            var certificate = X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath);
            var server = new ChatServer(directory, ca, certificate, options, serverLock);
            server.Listen();
            return Task.FromResult(server);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.AddressInUse)
        {
            throw; // the server released everything it held
        }
        catch
        {
            ca?.Dispose();
            serverLock.Dispose();
            throw;
        }
    }

    public const string LockFile = "server.lock";

    /// <summary>One server per data directory: two would each number the same rooms.</summary>
    private static FileStream TakeLock(CaDirectory directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory.Path, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException e)
        {
            throw new OpenChatException(ErrorIds.ServerAlreadyRunning, ErrorKind.InvalidOperation,
                $"A chat server is already serving '{directory.Path}'. Stop it first (Stop-ChatServer), or serve another data directory.", e);
        }
    }

    public ChatServerStatistics GetStatistics()
    {
        int count;
        lock (_gate)
        {
            count = _connections.Count;
        }

        return new ChatServerStatistics(count, _hub.RoomCount, _hub.MessagesStored, _hub.MessagesPerSecond,
            Interlocked.Read(ref _accepted), Interlocked.Read(ref _refused));
    }

    public async Task StopAsync()
    {
        lock (_gate)
        {
            if (State != ChatServerState.Running)
            {
                return;
            }

            State = ChatServerState.Stopping;
        }

        _stopping.Cancel();
        _listener.Stop();
        foreach (var connection in Snapshot())
        {
            connection.Close("ServerShutdown", "The server is shutting down.");
        }

        await Task.WhenAll(_acceptLoop, _watchLoop).ConfigureAwait(false);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Snapshot().Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        foreach (var connection in Snapshot())
        {
            connection.Abort("ServerShutdown");
        }

        await _hub.DisposeAsync().ConfigureAwait(false);
        _messages.Dispose();
        _ca.Dispose();
        _lock.Dispose();
        State = ChatServerState.Stopped;
        _stopped.TrySetResult();
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private void Listen()
    {
        try
        {
            _listener.Start(backlog: 1024);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            ReleaseAfterFailedStart();
            throw new OpenChatException(ErrorIds.AddressInUse, ErrorKind.Unavailable,
                $"Port {_options.Port} on {_options.Address} is already in use. Stop the other server or choose another -Port.", e);
        }

        Endpoint = (IPEndPoint)_listener.LocalEndpoint;

        _directory.Store.SetSetting(InviteBook.ServerAddressSetting, AdvertisedAddress());
        _acceptLoop = Task.Run(AcceptLoopAsync);
        _watchLoop = Task.Run(WatchLoopAsync);
    }

    private void ReleaseAfterFailedStart()
    {
        _hub.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _messages.Dispose();
        _ca.Dispose();
        _lock.Dispose();
    }

    private string AdvertisedAddress()
    {
        if (_options.AdvertisedAddress is { } advertised)
        {
            var (advertisedHost, advertisedPort) = ServerNames.ParseAddress(advertised);
            return ServerNames.FormatAddress(advertisedHost, advertisedPort);
        }

        var host = _options.Address.Equals(IPAddress.Any) || _options.Address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(_options.Address)
            ? "localhost"
            : _options.Address.ToString();
        return ServerNames.FormatAddress(host, Endpoint.Port);
    }

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
                    connection.Abort("ClientClosed");
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

    /// <summary>Closes connections of revoked certificates and idle connections.</summary>
    private async Task WatchLoopAsync()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        using var timer = new PeriodicTimer(_options.RevocationPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    var now = DateTimeOffset.UtcNow;
                    var revoked = _directory.Store.RevokedSince(since);
                    since = now.AddSeconds(-2); // overlap: a revocation stamped just before "now" is not missed
                    if (revoked.Count > 0)
                    {
                        foreach (var connection in _hub.ConnectionsWithSerials(revoked.ToHashSet(StringComparer.Ordinal)))
                        {
                            connection.Close(ErrorIds.CertificateRevoked, "Your certificate was revoked by the server's admin.");
                        }
                    }

                    foreach (var connection in Snapshot().Where(c => c.Identity is not null && c.Identity.NotAfter <= now))
                    {
                        connection.Close(ErrorIds.CertificateExpired, "Your certificate has expired; ask the admin for a new one.");
                    }

                    // A connection without a certificate has one job (enrolling): it gets the handshake timeout to do it.
                    var enrollBefore = Environment.TickCount64 - (long)_options.HandshakeTimeout.TotalMilliseconds * 3;
                    foreach (var connection in Snapshot().Where(c => c.Identity is null && c.OpenedAt < enrollBefore))
                    {
                        connection.Close("EnrollmentTimeout", "Enrollment connections close after a short time.");
                    }

                    var idleBefore = Environment.TickCount64 - (long)_options.IdleTimeout.TotalMilliseconds;
                    foreach (var connection in Snapshot().Where(c => c.LastActivity < idleBefore))
                    {
                        connection.Close("IdleTimeout", "Closed after a period without any traffic.");
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The CA store was briefly unavailable (busy, I/O): try again on the next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly Lock _crlGate = new();
    private (byte[] Der, string Serials, long At) _crl = ([], "", 0);

    /// <summary>The CRL for clients: signed again only when the revoked set changed (or after an
    /// hour), so many clients asking cost one signature, and a revocation shows at once.</summary>
    private byte[] CurrentRevocationList()
    {
        var serials = string.Join(',', _directory.Store.RevokedSince(DateTimeOffset.MinValue).Order(StringComparer.Ordinal));
        lock (_crlGate)
        {
            if (_crl.Der.Length == 0 || _crl.Serials != serials || Environment.TickCount64 - _crl.At > 3_600_000)
            {
                _crl = (_ca.CreateRevocationList(TimeSpan.FromDays(1)).Der, serials, Environment.TickCount64);
            }

            return _crl.Der;
        }
    }

    private bool UserExists(string userName)
    {
        var now = DateTimeOffset.UtcNow;
        return _directory.Store.FindCertificates(CertificateKind.Client, UserNamePolicy.Normalize(userName)).Any(r => r.StatusAt(now) == CertificateStatus.Valid);
    }

    private List<ClientConnection> Snapshot()
    {
        lock (_gate)
        {
            return [.. _connections.Values];
        }
    }

    private void RaiseClosed(ClientConnection connection)
    {
        try
        {
            ConnectionClosed?.Invoke(this, new ConnectionClosedEventArgs(connection.UserName, connection.Identity?.Serial ?? "", connection.CloseReason));
        }
        catch (Exception)
        {
            // A subscriber's failure must not take the server down.
        }
    }
}

public sealed class ConnectionClosedEventArgs(string userName, string serial, string reason) : EventArgs
{
    public string UserName { get; } = userName;

    public string Serial { get; } = serial;

    public string Reason { get; } = reason;
}
