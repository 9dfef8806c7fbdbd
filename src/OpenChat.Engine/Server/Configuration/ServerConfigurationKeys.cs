using System.Net;

namespace OpenChat.Engine.Server.Configuration;

/// <summary>Every key a configuration file (or Start-ChatServer's matching parameter) may set:
/// adding a setting is one line here. Ranges keep a typo from starting a server that cannot work
/// (a zero connection limit, a negative rate); they are wide on purpose.</summary>
public static class ServerConfigurationKeys
{
    private const double Day = 86_400;

    public static IReadOnlyList<ConfigurationKey> All { get; } =
    [
        // The host's own settings (the cmdlet applies them).
        new("Path", ConfigurationValueKind.Path),
        new("LogPath", ConfigurationValueKind.Path),
        new("LogLevel", ConfigurationValueKind.Choice) { Choices = ["Debug", "Information", "Warning", "Error"], Default = "Information" },
        new("CAPasswordFile", ConfigurationValueKind.Path),
        new("CAPasswordVariable", ConfigurationValueKind.Text),

        // Where it listens and what it shares with other nodes.
        new("Address", ConfigurationValueKind.IPAddress) { Apply = (o, v) => o.Address = (IPAddress)v, Read = o => o.Address },
        Int("Port", 0, 65_535, (o, v) => o.Port = v, o => o.Port),
        Text("AdvertisedAddress", (o, v) => o.AdvertisedAddress = v, o => o.AdvertisedAddress),
        Text("Database", (o, v) => o.Database = v, o => o.Database) with { MayHoldSecret = true },
        Text("Backplane", (o, v) => o.Backplane = v, o => o.Backplane),
        Text("NodeId", (o, v) => o.NodeId = v, o => o.NodeId),

        // Monitoring: /metrics and /healthz (off unless a port is given; 0 picks a free one).
        new("MetricsPort", ConfigurationValueKind.Integer) { Minimum = 0, Maximum = 65_535, Apply = (o, v) => o.MetricsPort = checked((int)(long)v), Read = o => o.MetricsPort },
        new("MetricsAddress", ConfigurationValueKind.IPAddress) { Apply = (o, v) => o.MetricsAddress = (IPAddress)v, Read = o => o.MetricsAddress },

        // Connections.
        Int("MaxConnections", 1, 1_000_000, (o, v) => o.MaxConnections = v, o => o.MaxConnections),
        Int("MaxEnrollmentConnections", 1, 100_000, (o, v) => o.MaxEnrollmentConnections = v, o => o.MaxEnrollmentConnections),
        Int("MaxEnrollmentConnectionsPerAddress", 1, 100_000, (o, v) => o.MaxEnrollmentConnectionsPerAddress = v, o => o.MaxEnrollmentConnectionsPerAddress),
        Int("MaxConnectionsPerUser", 1, 100_000, (o, v) => o.MaxConnectionsPerUser = v, o => o.MaxConnectionsPerUser),
        Int("MaxConnectionsPerAddress", 1, 1_000_000, (o, v) => o.MaxConnectionsPerAddress = v, o => o.MaxConnectionsPerAddress),
        Int("MaxPendingPerAddress", 1, 100_000, (o, v) => o.MaxPendingPerAddress = v, o => o.MaxPendingPerAddress),
        Duration("HandshakeTimeout", 1, 600, (o, v) => o.HandshakeTimeout = v, o => o.HandshakeTimeout),
        Duration("IdleTimeout", 30, Day, (o, v) => o.IdleTimeout = v, o => o.IdleTimeout),
        Int("SendQueueFrames", 64, 10_000_000, (o, v) => o.SendQueueFrames = v, o => o.SendQueueFrames),

        // Rate limits.
        Number("PublishesPerSecond", 1, 1_000_000, (o, v) => o.PublishesPerSecond = v, o => o.PublishesPerSecond),
        Number("PublishBurst", 1, 10_000_000, (o, v) => o.PublishBurst = v, o => o.PublishBurst),
        Number("PublishBytesPerSecond", 1024, 1e12, (o, v) => o.PublishBytesPerSecond = v, o => o.PublishBytesPerSecond),
        Number("PublishBytesBurst", 1024, 1e12, (o, v) => o.PublishBytesBurst = v, o => o.PublishBytesBurst),
        Number("RequestsPerSecond", 1, 1_000_000, (o, v) => o.RequestsPerSecond = v, o => o.RequestsPerSecond),
        Number("RequestBurst", 1, 10_000_000, (o, v) => o.RequestBurst = v, o => o.RequestBurst),
        Number("RoomCreationsPerMinute", 1, 1_000_000, (o, v) => o.RoomCreationsPerMinute = v, o => o.RoomCreationsPerMinute),
        Number("RoomCreationBurst", 1, 10_000_000, (o, v) => o.RoomCreationBurst = v, o => o.RoomCreationBurst),
        Number("CommitsPerMinute", 1, 1_000_000, (o, v) => o.CommitsPerMinute = v, o => o.CommitsPerMinute),
        Number("CommitBurst", 1, 10_000_000, (o, v) => o.CommitBurst = v, o => o.CommitBurst),
        Number("FileBytesPerSecond", 1024, 1e12, (o, v) => o.FileBytesPerSecond = v, o => o.FileBytesPerSecond),
        Number("FileBytesBurst", 1024, 1e12, (o, v) => o.FileBytesBurst = v, o => o.FileBytesBurst),

        // Sizes and counts.
        Int("MaxRooms", 1, 100_000_000, (o, v) => o.MaxRooms = v, o => o.MaxRooms),
        Int("MaxHistoryBatch", 1, 100_000, (o, v) => o.MaxHistoryBatch = v, o => o.MaxHistoryBatch),
        Long("MaxFileBytes", 1, long.MaxValue, (o, v) => o.MaxFileBytes = v, o => o.MaxFileBytes),
        Long("MaxStoredFileBytesPerUser", 0, long.MaxValue, (o, v) => o.MaxStoredFileBytesPerUser = v, o => o.MaxStoredFileBytesPerUser),

        // Lifetimes and polls.
        Duration("IncompleteFileLifetime", 60, 365 * Day, (o, v) => o.IncompleteFileLifetime = v, o => o.IncompleteFileLifetime),
        Duration("RevocationPollInterval", 0.01, 3600, (o, v) => o.RevocationPollInterval = v, o => o.RevocationPollInterval),
        Duration("RenewalGracePeriod", 0, 365 * Day, (o, v) => o.RenewalGracePeriod = v, o => o.RenewalGracePeriod),
    ];

    private static readonly Dictionary<string, ConfigurationKey> ByName = All.ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The key of that name, any case; null for an unknown one.</summary>
    public static ConfigurationKey? Find(string name) => ByName.GetValueOrDefault(name);

    private static ConfigurationKey Int(string name, int min, int max, Action<ChatServerOptions, int> set, Func<ChatServerOptions, int> get) =>
        new(name, ConfigurationValueKind.Integer) { Minimum = min, Maximum = max, Apply = (o, v) => set(o, checked((int)(long)v)), Read = o => get(o) };

    private static ConfigurationKey Long(string name, long min, long max, Action<ChatServerOptions, long> set, Func<ChatServerOptions, long> get) =>
        new(name, ConfigurationValueKind.Integer) { Minimum = min, Maximum = max, Apply = (o, v) => set(o, (long)v), Read = o => get(o) };

    private static ConfigurationKey Number(string name, double min, double max, Action<ChatServerOptions, double> set, Func<ChatServerOptions, double> get) =>
        new(name, ConfigurationValueKind.Number) { Minimum = min, Maximum = max, Apply = (o, v) => set(o, (double)v), Read = o => get(o) };

    private static ConfigurationKey Duration(string name, double minSeconds, double maxSeconds, Action<ChatServerOptions, TimeSpan> set, Func<ChatServerOptions, TimeSpan> get) =>
        new(name, ConfigurationValueKind.Duration) { Minimum = minSeconds, Maximum = maxSeconds, Apply = (o, v) => set(o, (TimeSpan)v), Read = o => get(o) };

    private static ConfigurationKey Text(string name, Action<ChatServerOptions, string> set, Func<ChatServerOptions, string?> get) =>
        new(name, ConfigurationValueKind.Text) { Apply = (o, v) => set(o, (string)v), Read = o => get(o) };
}
