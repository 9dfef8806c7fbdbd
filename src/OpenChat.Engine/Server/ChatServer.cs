using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
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
/// that connection only (and is logged).
/// </summary>
/// <remarks>This type is the facade that owns start and stop and wires the components, as Garnet
/// keeps networking apart from sessions: <see cref="ConnectionAdmission"/> (limits at accept),
/// <see cref="ServerHandshake"/> (TLS, Hello/Welcome), <see cref="EnrollmentEndpoint"/>,
/// <see cref="ConnectionWatchdog"/> and <see cref="RevocationListCache"/>, then the room hub.</remarks>
public sealed partial class ChatServer : IAsyncDisposable
{
    public const ushort ProtocolVersion = ChatProtocol.Version;

    private readonly ChatServerOptions _options;
    private readonly CaDirectory _directory;
    private readonly CertificateAuthority _ca;
    private readonly TcpListener _listener;
    private readonly FileStream _lock;
    private readonly IMessageStore _messages;
    private readonly IFileStore _files;
    private readonly Cluster.ClusterRoomEventBus? _bus;
    private readonly INodeRegistry _registry;
    private readonly bool _ownsRegistry;
    private readonly NodeHeartbeat _heartbeat;
    private Task _heartbeatLoop = Task.CompletedTask;
    private readonly RoomHub _hub;
    private readonly ConnectionAdmission _admission;
    private readonly ServerHandshake _handshake;
    private readonly EnrollmentEndpoint _enrollment;
    private readonly CertificateRenewalEndpoint _renewals;
    private readonly ConnectionWatchdog _watchdog;
    private readonly RevocationListCache _revocationList;
    private readonly ServerCertificateRotation _certificate;
    private readonly PreviousRoot? _previousRoot;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<long, ClientConnection> _connections = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _acceptLoop = Task.CompletedTask;
    private Task _watchLoop = Task.CompletedTask;
    private long _nextId;

    private ChatServer(CaDirectory directory, CertificateAuthority ca, X509Certificate2 serverCertificate, ChatServerOptions options, FileStream serverLock)
    {
        _lock = serverLock;
        _options = options;
        // New at every start: a further node starts from a copy of this directory, so nothing in it can name the node.
        NodeId = options.NodeId ?? Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        _directory = directory;
        _ca = ca;
        StartedAt = options.Time.GetUtcNow();
        var logs = options.LoggerFactory;
        _log = logs.CreateLogger<ChatServer>();
        _previousRoot = OpenPreviousRoot(directory, options);
        _certificate = new ServerCertificateRotation(ca, serverCertificate, options.Time, logs.CreateLogger(typeof(CertificateAuthority).FullName!), _previousRoot);
        Metrics = new ServerMetrics(NodeId, new ServerGauges(OpenConnections, () => Snapshot().Select(c => c.QueuedBytes),
            () => _hub?.EventsDelivered ?? 0, CertificateExpiries));
        var busy = new BusyRefusal(() => _certificate.Current.Context, TimeSpan.FromSeconds(Math.Min(5, options.HandshakeTimeout.TotalSeconds)), logs.CreateLogger<BusyRefusal>());
        _admission = new ConnectionAdmission(options, busy, logs.CreateLogger<ConnectionAdmission>(), Metrics);
        var caPem = RootsPem(directory, _previousRoot);
        var clientValidator = new ClientCertificateValidator(directory.Certificate, directory.Store, options.Time, _previousRoot?.Certificate);
        _handshake = new ServerHandshake(() => _certificate.Current, clientValidator, directory.Store,
            caPem, options.HandshakeTimeout, logs.CreateLogger<ServerHandshake>(),
            policy => new ExpiredCertificateGate(directory.Store, policy, () => options.RenewalGracePeriod, options.Time), Metrics);
        _renewals = new CertificateRenewalEndpoint(ca, () => options.RenewalGracePeriod, logs.CreateLogger<CertificateRenewalEndpoint>());
        _enrollment = new EnrollmentEndpoint(ca, caPem, logs.CreateLogger<EnrollmentEndpoint>(), Metrics);
        _revocationList = new RevocationListCache(directory.Store, ca, _previousRoot, options.Time, logs.CreateLogger(typeof(CertificateAuthority).FullName!));
        _messages = options.MessageStoreFactory(directory.Path);
        _files = options.FileStoreFactory(directory.Path);
        _bus = Cluster.ClusterSetup.Bus(options, directory, _messages, NodeId, serverCertificate);
        _ownsRegistry = options.NodeRegistry is null;
        _registry = options.NodeRegistry ?? Cluster.ClusterSetup.Registry(options);
        _heartbeat = new NodeHeartbeat(_registry, NodeId, AdvertisedAddress, options.Time, logs.CreateLogger<NodeHeartbeat>());
        _hub = new RoomHub(_messages, options, UserExists, _revocationList.Current,
            serial => _directory.Store.GetCertificate(serial) is { RevokedAt: not null }, options.Time, _files, _revocationList.All,
            serial => _directory.Store.GetCertificate(serial.ToUpperInvariant())?.RenewedFrom, _bus, Metrics);
        _watchdog = new ConnectionWatchdog(options, directory.Store, serials => _hub.ConnectionsWithSerials(serials), Snapshot, logs.CreateLogger<ConnectionWatchdog>(),
            () => _certificate.RenewIfDue(), _hub.Bus);
        _listener = new TcpListener(options.Address, options.Port);
    }

    /// <summary>Where the server listens (kept after it stops, for reports).</summary>
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    public string DataPath => _directory.Path;

    /// <summary>The room log this node writes to (tests read what it stored through it).</summary>
    internal IMessageStore MessageStore => _messages;

    /// <summary>This node's id among the nodes of one database.</summary>
    public string NodeId { get; }

    public string CaFingerprint => CaDirectory.FormatFingerprint(_directory.Fingerprint);

    /// <summary>The certificate new connections are shown: renewed in place past two thirds of its validity.</summary>
    public X509Certificate2 ServerCertificate => _certificate.Current.Certificate;

    public ChatServerState State { get; private set; } = ChatServerState.Running;

    /// <summary>This server's instruments (meter <see cref="ServerMetrics.MeterName"/>, one per instance).</summary>
    public ServerMetrics Metrics { get; }

    public DateTimeOffset StartedAt { get; }

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
        ClientRenewal.CheckGracePeriod(options.RenewalGracePeriod);
        Cluster.ClusterSetup.Apply(options, path);
        var directory = new CaDirectory(path, options.CaStoreFactory);
        if (options.AdvertisedAddress is not null)
        {
            ServerNames.ParseAddress(options.AdvertisedAddress);
        }

        // The lock lives in the directory, and a bare one gets its CA under the lock.
        SecureFile.CreateDirectory(directory.Path);
        var serverLock = TakeLock(directory);
        CertificateAuthority? ca = null;
        try
        {
            Cluster.ClusterSetup.RefuseSecondCa(options, directory);
            Cluster.ClusterSetup.RefuseNewServerKey(options, directory);
            (ca, var certificate) = ServerBootstrap.Ensure(directory, options.CaPassword ?? "", options.Time,
                log: options.LoggerFactory.CreateLogger(typeof(CertificateAuthority).FullName!));
            Cluster.ClusterSetup.CheckCa(options, directory);
            var server = new ChatServer(directory, ca, certificate, options, serverLock);
            server.Listen();
            server.LogExpiry();
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
            _admission.Accepted, _admission.Refused);
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
            connection.Close(ErrorIds.ServerShutdown, "The server is shutting down.");
        }

        await Task.WhenAll(_acceptLoop, _watchLoop, _heartbeatLoop).ConfigureAwait(false);
        _heartbeat.Leave();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Snapshot().Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        foreach (var connection in Snapshot())
        {
            connection.Abort(ErrorIds.ServerShutdown);
        }

        await _hub.DisposeAsync().ConfigureAwait(false);
        await StopMonitoringAsync().ConfigureAwait(false);
        if (_bus is not null)
        {
            await _bus.DisposeAsync().ConfigureAwait(false);
        }

        _messages.Dispose();
        _files.Dispose();
        ReleaseRegistry();
        _ca.Dispose();
        _previousRoot?.Dispose();
        _lock.Dispose();
        Metrics.Dispose();
        State = ChatServerState.Stopped;
        _log.ServerStopped(Endpoint.ToString());
        _stopped.TrySetResult();
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private void Listen()
    {
        try
        {
            StartMonitoring();
        }
        catch
        {
            ReleaseAfterFailedStart();
            throw;
        }

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
        _watchLoop = Task.Run(() => _watchdog.RunAsync(_stopping.Token));
        _handshake.Nodes = () => _heartbeat.Nodes;
        _heartbeat.Beat();
        _heartbeatLoop = Task.Run(() => _heartbeat.RunAsync(_stopping.Token));
        _log.ServerStarted(Endpoint.ToString(), _directory.Path);
    }

    private void ReleaseAfterFailedStart()
    {
        StopMonitoringAsync().GetAwaiter().GetResult();
        _hub.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _bus?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _messages.Dispose();
        _files.Dispose();
        ReleaseRegistry();
        _ca.Dispose();
        _previousRoot?.Dispose();
        _lock.Dispose();
        Metrics.Dispose();
    }

    private void ReleaseRegistry()
    {
        if (_ownsRegistry)
        {
            _registry.Dispose();
        }
    }

    /// <summary>The bus between nodes, when this node has a database (for tests and diagnostics).</summary>
    internal Cluster.ClusterRoomEventBus? ClusterBus => _bus;

    /// <summary>The live nodes' addresses, this one first (what a Welcome lists).</summary>
    public IReadOnlyList<string> Nodes => _heartbeat.Nodes;

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

    private IEnumerable<(string, DateTimeOffset)> CertificateExpiries() =>
        [("server", new DateTimeOffset(ServerCertificate.NotAfter.ToUniversalTime())), ("ca", new DateTimeOffset(_directory.Certificate.NotAfter.ToUniversalTime()))];

    private bool UserExists(string userName) => ClientNames.IsHeld(_directory.Store, userName, _options.Time.GetUtcNow());

    private IReadOnlyList<ClientConnection> Snapshot()
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
        catch (Exception e)
        {
            // A subscriber's failure must not take the server down.
            _log.Failed(e, "server.connection-closed-event");
        }
    }
}
