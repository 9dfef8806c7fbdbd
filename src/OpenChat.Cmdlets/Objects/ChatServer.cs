using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using EngineServer = OpenChat.Engine.Server.ChatServer;

namespace OpenChat;

/// <summary>A chat server running in this PowerShell session. The figures are live: each read
/// asks the running server.</summary>
public sealed class ChatServer
{
    private readonly ILoggerFactory? _log;

    /// <param name="log">What the server logs to (from -LogPath), released when it stops.</param>
    /// <param name="configurationPath">The configuration file it was started with, if any.</param>
    /// <param name="configuration">The effective configuration, secrets masked.</param>
    internal ChatServer(EngineServer server, ILoggerFactory? log = null, string? configurationPath = null,
        IReadOnlyList<Engine.Server.Configuration.ConfigurationEntry>? configuration = null)
    {
        Engine = server;
        _log = log;
        ConfigurationPath = configurationPath;
        foreach (var entry in configuration ?? [])
        {
            Configuration[entry.Key] = entry.Value;
            ConfigurationSource[entry.Key] = entry.Source;
        }

        var events = log?.CreateLogger("OpenChat.ChatServer.Events");
        server.ConnectionClosed += (_, e) =>
        {
            try
            {
                ConnectionClosed?.Invoke(this, e);
            }
            catch (Exception failure)
            {
                // A handler's failure must not reach the server's connection thread; the
                // server's log (and the failure count) says it happened.
                (events ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Failed(failure, "server.event-handler");
            }
        };
    }

    internal EngineServer Engine { get; }

    /// <summary>Stops the server, then closes its log file.</summary>
    internal async Task StopAsync()
    {
        try
        {
            await Engine.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _log?.Dispose();
        }
    }

    public string Path => Engine.DataPath;

    public string Address => Engine.Endpoint.Address.ToString();

    public int Port => Engine.Endpoint.Port;

    /// <summary>host:port as clients and invites use it.</summary>
    public string Endpoint => Engine.Endpoint.ToString();

    public string CaFingerprint => Engine.CaFingerprint;

    /// <summary>Where /metrics and /healthz are served (host:port), or null without -MetricsPort.</summary>
    public string? MetricsEndpoint => Engine.MetricsEndpoint?.ToString();

    /// <summary>The metrics endpoint's port (the real one when -MetricsPort 0), or null.</summary>
    public int? MetricsPort => Engine.MetricsEndpoint?.Port;

    /// <summary>The configuration file given to Start-ChatServer, or null.</summary>
    public string? ConfigurationPath { get; }

    /// <summary>Every configuration key with the value the server runs with (a password inside
    /// the Database connection string masked; the CA password itself is never shown).</summary>
    public System.Collections.Specialized.OrderedDictionary Configuration { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where each key's value came from: file, parameter or default.</summary>
    public System.Collections.Specialized.OrderedDictionary ConfigurationSource { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Engine.Server.ChatServerState State => Engine.State;

    public DateTimeOffset StartedAt => Engine.StartedAt;

    public int Connections => Engine.GetStatistics().Connections;

    public int Rooms => Engine.GetStatistics().Rooms;

    public long MessagesStored => Engine.GetStatistics().MessagesStored;

    public double MessagesPerSecond => Engine.GetStatistics().MessagesPerSecond;

    /// <summary>When the TLS certificate the server presents expires.</summary>
    public DateTimeOffset ServerCertificateExpires => Engine.CheckExpiry().ServerCertificateExpires;

    /// <summary>When the CA certificate expires; no certificate it issues outlives it.</summary>
    public DateTimeOffset CaExpires => Engine.CheckExpiry().CaExpires;

    /// <summary>User certificates valid now that expire within 30 days
    /// (Get-ChatCertificate -ExpiringWithin 30d lists them).</summary>
    public int CertificatesExpiringSoon => Engine.CheckExpiry().UserCertificatesExpiring.Count;

    /// <summary>Raised on a background thread when a client connection closes; use Register-ObjectEvent.</summary>
    public event EventHandler<Engine.Server.ConnectionClosedEventArgs>? ConnectionClosed;

    public override string ToString() => $"{Endpoint} ({Path})";
}

/// <summary>The servers started in this session, so Get- and Stop-ChatServer can find them.</summary>
internal static class ServerRegistry
{
    private static readonly Lock Gate = new();
    private static readonly List<ChatServer> Servers = [];

    public static void Add(ChatServer server)
    {
        lock (Gate)
        {
            Servers.Add(server);
        }
    }

    public static void Remove(ChatServer server)
    {
        lock (Gate)
        {
            Servers.Remove(server);
        }
    }

    public static List<ChatServer> All()
    {
        lock (Gate)
        {
            return [.. Servers];
        }
    }
}
