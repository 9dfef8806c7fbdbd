using System.Management.Automation;
using System.Net;
using System.Security;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Server;
using EngineServer = OpenChat.Engine.Server.ChatServer;

namespace OpenChat.Cmdlets.Server;

[Cmdlet(VerbsLifecycle.Start, "ChatServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatServer))]
public sealed class StartChatServerCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>0 picks a free port.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = Engine.Pki.ServerNames.DefaultPort;

    [Parameter]
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>host:port clients should dial, recorded for New-ChatInvite.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AdvertisedAddress { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>An Npgsql connection string: the deployment's shared PostgreSQL database.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>A NATS URL: the bus between nodes (needs -Database).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Backplane { get; set; }

    [Parameter]
    public SecureString? CAPassword { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxConnections { get; set; } = 25_000;

    [Parameter]
    [ValidateRange(1, 100_000)]
    public int MaxEnrollmentConnections { get; set; } = 100;

    /// <summary>The largest file one upload may carry, in bytes (100 MiB by default).</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>What one user's files may take on the server in all, in bytes (1 GiB by default).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long MaxStoredFileBytesPerUser { get; set; } = 1024L * 1024 * 1024;

    /// <summary>File bytes one user may upload and fetch a second (16 MiB by default); faster
    /// transfers are slowed down, not refused.</summary>
    [Parameter]
    [ValidateRange(1024L, long.MaxValue)]
    public long FileBytesPerSecond { get; set; } = 16L * 1024 * 1024;

    /// <summary>How long after expiry a user's certificate may still renew itself (30d, 12h, a
    /// TimeSpan; 0 turns renewal after expiry off); past it the user re-enrolls with an invite.</summary>
    [Parameter]
    [OpenChat.Cmdlets.Pki.FriendlyTimeSpan]
    public TimeSpan RenewalGracePeriod { get; set; } = Engine.Pki.ClientRenewal.DefaultGracePeriod;

    /// <summary>A file the server writes its log to, one JSON object per line; "-" for standard output.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    [Parameter]
    [ValidateSet("Debug", "Information", "Warning", "Error")]
    public string LogLevel { get; set; } = "Information";

    /// <summary>Serves /metrics (Prometheus) and /healthz over plain HTTP on this port; 0 picks a free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>Where the metrics endpoint listens (loopback unless given).</summary>
    [Parameter]
    public IPAddress MetricsAddress { get; set; } = IPAddress.Loopback;

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        if (!ShouldProcess($"{Address}:{Port} serving '{path}'", "Start chat server"))
        {
            return;
        }

        if (!IPAddress.IsLoopback(Address))
        {
            WriteWarning($"The server will accept connections from the network on {Address}. Clients still need a certificate from this CA.");
        }

        if (MetricsPort is not null && !IPAddress.IsLoopback(MetricsAddress))
        {
            WriteWarning($"The metrics and health endpoint will answer anyone who reaches {MetricsAddress}, without a certificate: restrict it with a firewall or keep it on loopback.");
        }

        var password = PasswordChars(CAPassword);
        EngineServer engine;
        CompositeLoggerFactory? log = null;
        try
        {
            log = OpenLog();
            var options = new ChatServerOptions
            {
                Address = Address,
                Port = Port,
                MaxConnections = MaxConnections,
                MaxEnrollmentConnections = MaxEnrollmentConnections,
                MaxFileBytes = MaxFileBytes,
                MaxStoredFileBytesPerUser = MaxStoredFileBytesPerUser,
                FileBytesPerSecond = FileBytesPerSecond,
                FileBytesBurst = Math.Min(2.0 * FileBytesPerSecond, 32.0 * 1024 * 1024),
                AdvertisedAddress = AdvertisedAddress,
                CaPassword = password.Length == 0 ? null : new string(password),
                RenewalGracePeriod = RenewalGracePeriod,
                Database = Database,
                Backplane = Backplane,
                MetricsPort = MetricsPort,
                MetricsAddress = MetricsAddress,
            };
            if (log is not null)
            {
                options.LoggerFactory = log;
            }

            engine = Await(_ => EngineServer.StartAsync(path, options));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            log?.Dispose();
            ThrowFailure(e, path);
            return;
        }
        catch
        {
            log?.Dispose();
            throw;
        }
        finally
        {
            Array.Clear(password);
        }

        var server = new ChatServer(engine, log);
        ServerRegistry.Add(server);
        WriteVerbose($"Serving {path} on {server.Endpoint}; CA fingerprint {server.CaFingerprint}.");
        WarnAboutExpiry(engine);
        if (!Wait)
        {
            WriteObject(server);
            return;
        }

        // The object is written when serving ends; until then the host says what is going on.
        Host.UI.WriteLine($"Serving '{path}' on {server.Endpoint} (CA {server.CaFingerprint}). Press Ctrl+C to stop.");
        try
        {
            // Serves in the foreground until Ctrl+C (StopProcessing cancels the token).
            engine.Completion.Wait(CancelToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the way a foreground server is asked to stop, not a failure.
        }
        finally
        {
            server.StopAsync().GetAwaiter().GetResult();
            ServerRegistry.Remove(server);
        }

        WriteObject(server);
    }

    // The same report the server put in its log at start, said where the admin is looking.
    private void WarnAboutExpiry(EngineServer engine)
    {
        try
        {
            if (engine.CheckExpiry().Summary() is { } summary)
            {
                WriteWarning(summary + " See Get-ChatCertificate -ExpiringWithin 30d.");
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            // The server is running; an unreadable store is no reason to stop it here.
            WriteWarning($"Could not check what expires soon: {e.Message}");
        }
    }

    /// <summary>The logger factory for -LogPath, or null without it; the server object owns it
    /// and disposes it (closing the file) when the server stops.</summary>
    private CompositeLoggerFactory? OpenLog()
    {
        if (LogPath is null)
        {
            return null;
        }

        // A file that cannot be opened fails the command like any other per-input error.
        var level = Enum.Parse<Microsoft.Extensions.Logging.LogLevel>(LogLevel);
        return new CompositeLoggerFactory(LogPath == JsonLinesLoggerProvider.StandardOutput
            ? new JsonLinesLoggerProvider(Console.OpenStandardOutput(), level)
            : new JsonLinesLoggerProvider(ResolvePath(LogPath), level));
    }
}
