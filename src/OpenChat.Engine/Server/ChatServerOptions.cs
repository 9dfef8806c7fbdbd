using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Server;

/// <summary>Where the server listens and the limits that keep one client from hurting others.</summary>
public sealed class ChatServerOptions
{
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Where the server's components log (none by default). Every failure on a background
    /// task is logged here (and counted, <see cref="Diagnostics.EngineLog"/>) instead of vanishing.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Opens the server's message store for a data directory; by default the SQLite
    /// file <see cref="Storage.SqliteMessageStore.FileName"/> in it. Another store (PostgreSQL)
    /// plugs in here without a change to the server.</summary>
    public Func<string, Storage.IMessageStore> MessageStoreFactory
    {
        get => _messageStoreFactory ??= directory => new Storage.SqliteMessageStore(
            Path.Combine(directory, Storage.SqliteMessageStore.FileName), LoggerFactory.CreateLogger<Storage.SqliteMessageStore>());
        set => _messageStoreFactory = value;
    }

    private Func<string, Storage.IMessageStore>? _messageStoreFactory;

    /// <summary>Opens the server's file store for a data directory; by default the SQLite file
    /// <see cref="Storage.SqliteFileStore.FileName"/> in it.</summary>
    public Func<string, Storage.IFileStore> FileStoreFactory
    {
        get => _fileStoreFactory ??= directory => new Storage.SqliteFileStore(
            Path.Combine(directory, Storage.SqliteFileStore.FileName), LoggerFactory.CreateLogger<Storage.SqliteFileStore>());
        set => _fileStoreFactory = value;
    }

    private Func<string, Storage.IFileStore>? _fileStoreFactory;

    /// <summary>The largest file one upload may carry (plaintext bytes); 100 MiB by default.</summary>
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>What one user's files (complete or still uploading) may take in all; 1 GiB by default.</summary>
    public long MaxStoredFileBytesPerUser { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Bytes of file chunks (uploaded and fetched) one user may move a second, and in a
    /// burst: past it the server reads that user's chunks more slowly instead of refusing them.</summary>
    public double FileBytesPerSecond { get; set; } = 16 * 1024 * 1024;

    public double FileBytesBurst { get; set; } = 32 * 1024 * 1024;

    /// <summary>An upload not completed within this time (server clock) is deleted with its chunks.</summary>
    public TimeSpan IncompleteFileLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Where committed events go to the rooms' subscribers; null for this server's own
    /// in-process bus (<see cref="LocalRoomEventBus"/>). The seam a bus across nodes plugs into.</summary>
    internal IRoomEventBus? RoomEventBus { get; set; }

    /// <summary>An Npgsql connection string: rooms, messages, certificates, invites, settings and
    /// files live in that PostgreSQL database, shared by every node that names it; the data
    /// directory keeps only this node's keys and certificates. Null: SQLite in the data directory.</summary>
    public string? Database { get; set; }

    /// <summary>A NATS URL (<c>nats://127.0.0.1:4222</c>): the bus between nodes. Null with a
    /// <see cref="Database"/>: nodes learn of each other's events through the database alone, more slowly.</summary>
    public string? Backplane { get; set; }

    /// <summary>This node's id among the nodes of one database; null: kept in the data directory
    /// (made once at random), so a node keeps its id across restarts.</summary>
    public string? NodeId { get; set; }

    /// <summary>Where the deployment's live nodes are listed (for the Welcome that tells clients
    /// where else to connect). Null: the database's list with <see cref="Database"/>, else this
    /// node alone.</summary>
    public Storage.INodeRegistry? NodeRegistry { get; set; }

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = Pki.ServerNames.DefaultPort;

    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection that sends nothing (not even a keepalive ping) for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(90);

    public int MaxConnections { get; set; } = 25_000;

    /// <summary>Connections without a client certificate (enrollments) open at once. Anyone who can
    /// reach the port can open one, so they get a small share of their own: they can never crowd
    /// out the certified users' connections.</summary>
    public int MaxEnrollmentConnections { get; set; } = 100;

    /// <summary>Connections without a client certificate open at once from one address, so one
    /// host cannot take every enrollment place and block every invitee. One more is told
    /// <c>Bye TooManyConnections</c>.</summary>
    public int MaxEnrollmentConnectionsPerAddress { get; set; } = 8;

    /// <summary>Authenticated connections one user (all devices and sessions together) may hold
    /// open; room for several devices and the overlap of a reconnect. One more is told
    /// <c>Bye TooManyConnections</c>.</summary>
    public int MaxConnectionsPerUser { get; set; } = 16;

    /// <summary>Authenticated connections from one address (loopback included) open at once; room
    /// for a household or an office behind one NAT. One more is told <c>Bye TooManyConnections</c>.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>Connections from one address that may be in the TLS handshake and greeting at
    /// once. Until then nobody is authenticated, so this is what keeps one host's flood of bare
    /// sockets from taking every place in <see cref="MaxConnections"/>.</summary>
    public int MaxPendingPerAddress { get; set; } = 64;

    /// <summary>Frames queued for one client before it counts as a slow reader and is disconnected.</summary>
    public int SendQueueFrames { get; set; } = 16_384;

    public double PublishesPerSecond { get; set; } = 500;

    public double PublishBurst { get; set; } = 2_000;

    /// <summary>Bytes of message bodies one connection may publish a second, and in a burst: the
    /// burst stays well under a receiver's send queue (32 MiB), so one member's flood of large
    /// messages cannot make every other member look like a slow reader.</summary>
    public double PublishBytesPerSecond { get; set; } = 4 * 1024 * 1024;

    public double PublishBytesBurst { get; set; } = 16 * 1024 * 1024;

    /// <summary>Requests other than publishes (joins, history, lists, pings).</summary>
    public double RequestsPerSecond { get; set; } = 100;

    public double RequestBurst { get; set; } = 400;

    /// <summary>How often the server looks for newly revoked certificates.</summary>
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public int MaxHistoryBatch { get; set; } = 1000;

    /// <summary>New rooms (and direct conversations) one user may create a minute, and in a burst,
    /// across all of the user's connections and reconnects; rooms are kept for good, so creating
    /// them is the one request that costs everyone.</summary>
    public double RoomCreationsPerMinute { get; set; } = 30;

    public double RoomCreationBurst { get; set; } = 100;

    /// <summary>Commits (changes of a room's encryption) one user may publish a minute, across all
    /// of the user's devices, and in a burst.</summary>
    public double CommitsPerMinute { get; set; } = 60;

    public double CommitBurst { get; set; } = 100;

    /// <summary>Rooms the server holds in all; beyond it, creating a room (CreateRoom, or a new direct
    /// conversation) is refused with RoomLimitReached.</summary>
    public int MaxRooms { get; set; } = 100_000;

    /// <summary>The host:port clients should use (put in invites); by default the listening address,
    /// or localhost for loopback and wildcard addresses.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Where the CA's store lives (SQLite in the data directory by default): the seam a
    /// shared database plugs into without changes to the server or the CA.
    /// By default its schema upgrades (and the copy taken before one) are logged through <see cref="LoggerFactory"/>.</summary>
    public Storage.ICaStoreFactory CaStoreFactory
    {
        get => _caStoreFactory ??= new Storage.SqliteCaStoreFactory(Time, LoggerFactory.CreateLogger<Storage.SqliteCaStore>());
        set => _caStoreFactory = value;
    }

    private Storage.ICaStoreFactory? _caStoreFactory;

    /// <summary>Password of the CA key, used only when the server must issue its own certificate.</summary>
    public string? CaPassword { get; set; }

    /// <summary>How long after its expiry a user's certificate may still renew itself (over a
    /// connection that may do nothing else); zero renews no expired certificate. Past it the
    /// user re-enrolls with an invite. See <see cref="Pki.ClientRenewal"/>.</summary>
    public TimeSpan RenewalGracePeriod { get; set; } = Pki.ClientRenewal.DefaultGracePeriod;

    /// <summary>The port of the plain-HTTP monitoring endpoint (<c>/metrics</c> in the Prometheus
    /// text format, <c>/healthz</c>); null: none; 0: a free port (<see cref="ChatServer.MetricsEndpoint"/>
    /// says which).</summary>
    public int? MetricsPort { get; set; }

    /// <summary>Where the monitoring endpoint listens: loopback unless the admin names another
    /// address (it needs no certificate, so anyone who reaches it can read the figures).</summary>
    public IPAddress MetricsAddress { get; set; } = IPAddress.Loopback;

    /// <summary>The server's clock: certificate validity, expiry of connected peers, the times
    /// stamped on events and presence. Tests move a fake one instead of waiting.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
}
