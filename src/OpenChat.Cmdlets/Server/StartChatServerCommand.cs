using System.Management.Automation;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Runtime.InteropServices;
using System.Security;
using OpenChat.Engine;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Server;
using OpenChat.Engine.Server.Configuration;
using EngineServer = OpenChat.Engine.Server.ChatServer;

namespace OpenChat.Cmdlets.Server;

[Cmdlet(VerbsLifecycle.Start, "ChatServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatServer))]
public sealed class StartChatServerCommand : ChatCmdlet
{
    // Parameters named like a configuration key override that key of -ConfigurationPath; their
    // defaults are the keys' defaults (ChatServerOptions), so the properties carry none.

    /// <summary>The data directory; may instead come from the configuration file's Path key.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>A .psd1 or .json file of configuration keys (docs/operations.md, "Configuration file").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigurationPath { get; set; }

    /// <summary>0 picks a free port.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    public IPAddress? Address { get; set; }

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

    /// <summary>A file holding the CA key's password, readable by its owner only (0600 or 0400).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CAPasswordFile { get; set; }

    /// <summary>The name of an environment variable holding the CA key's password.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CAPasswordVariable { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxConnections { get; set; }

    [Parameter]
    [ValidateRange(1, 100_000)]
    public int MaxEnrollmentConnections { get; set; }

    /// <summary>The largest file one upload may carry, in bytes (100 MiB by default).</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxFileBytes { get; set; }

    /// <summary>What one user's files may take on the server in all, in bytes (1 GiB by default).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long MaxStoredFileBytesPerUser { get; set; }

    /// <summary>File bytes one user may upload and fetch a second (16 MiB by default); faster
    /// transfers are slowed down, not refused.</summary>
    [Parameter]
    [ValidateRange(1024L, long.MaxValue)]
    public long FileBytesPerSecond { get; set; }

    /// <summary>How long after expiry a user's certificate may still renew itself (30d, 12h, a
    /// TimeSpan; 0 turns renewal after expiry off); past it the user re-enrolls with an invite.</summary>
    [Parameter]
    [OpenChat.Cmdlets.Pki.FriendlyTimeSpan]
    public TimeSpan RenewalGracePeriod { get; set; }

    /// <summary>A file the server writes its log to, one JSON object per line; "-" for standard output.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    [Parameter]
    [ValidateSet("Debug", "Information", "Warning", "Error")]
    public string? LogLevel { get; set; }

    /// <summary>Serves /metrics (Prometheus) and /healthz over plain HTTP on this port; 0 picks a free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>Where the metrics endpoint listens (loopback unless given).</summary>
    [Parameter]
    public IPAddress? MetricsAddress { get; set; }

    protected override void ProcessRecord()
    {
        ServerConfiguration configuration;
        ChatServerOptions options;
        string path;
        try
        {
            configuration = ReadConfiguration();
            options = configuration.ApplyTo(new ChatServerOptions());
            path = configuration.Get<string>("Path") ?? throw new OpenChatException(ErrorIds.DataPathRequired, ErrorKind.InvalidArgument,
                "Name the server's data directory with -Path, or with the key Path of the configuration file.");
        }
        catch (OpenChatException e)
        {
            ThrowFailure(e, ConfigurationPath ?? Path);
            return;
        }

        if (!ShouldProcess($"{options.Address}:{options.Port} serving '{path}'", "Start chat server"))
        {
            return;
        }

        if (!IPAddress.IsLoopback(options.Address))
        {
            WriteWarning($"The server will accept connections from the network on {options.Address}. Clients still need a certificate from this CA.");
        }

        if (options.MetricsPort is not null && !IPAddress.IsLoopback(options.MetricsAddress))
        {
            WriteWarning($"The metrics and health endpoint will answer anyone who reaches {options.MetricsAddress}, without a certificate: restrict it with a firewall or keep it on loopback.");
        }

        char[] password = [];
        EngineServer engine;
        CompositeLoggerFactory? log = null;
        try
        {
            password = ReadPassword(configuration);
            log = OpenLog(configuration);
            options.CaPassword = password.Length == 0 ? null : new string(password);
            if (log is not null)
            {
                options.LoggerFactory = log;
                log.CreateLogger(typeof(ServerConfiguration).FullName!).Applied(configuration);
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

        var server = new ChatServer(engine, log, configuration.FilePath, configuration.Effective(options));
        ServerRegistry.Add(server);
        WriteVerbose($"Serving {path} on {server.Endpoint}; CA fingerprint {server.CaFingerprint}.");
        WarnAboutExpiry(engine);
        if (!Wait)
        {
            WriteObject(server);
            return;
        }

        ServeUntilStopped(server, engine, path);
        WriteObject(server);
    }

    // Serves in the foreground until Ctrl+C (StopProcessing cancels the token) or SIGTERM (a
    // service manager stopping it). The signal handler only cancels; this, the pipeline thread,
    // stops the server, so connections get their goodbye and the log its stop event.
    private void ServeUntilStopped(ChatServer server, EngineServer engine, string path)
    {
        using var terminated = new CancellationTokenSource();
        using var sigterm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            terminated.Cancel();
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(CancelToken, terminated.Token);

        // The object is written when serving ends; until then the host says what is going on.
        Host.UI.WriteLine($"Serving '{path}' on {server.Endpoint} (CA {server.CaFingerprint}). Press Ctrl+C to stop.");
        try
        {
            engine.Completion.Wait(stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: the way a foreground server is asked to stop, not a failure.
        }
        finally
        {
            server.StopAsync().GetAwaiter().GetResult();
            ServerRegistry.Remove(server);
        }
    }

    /// <summary>The file's keys (when -ConfigurationPath is given) with the parameters typed on
    /// the command line on top; all of it validated before anything starts.</summary>
    private ServerConfiguration ReadConfiguration()
    {
        var file = ConfigurationPath is null ? ServerConfiguration.Empty : ConfigurationFileReader.Read(ResolvePath(ConfigurationPath));
        var overrides = new List<KeyValuePair<string, object?>>();
        foreach (var (name, value) in MyInvocation.BoundParameters)
        {
            if (ServerConfigurationKeys.Find(name) is not { } key)
            {
                continue;
            }

            var plain = value is PSObject wrapped ? wrapped.BaseObject : value;
            overrides.Add(KeyValuePair.Create<string, object?>(key.Name,
                key.Kind == ConfigurationValueKind.Path && plain is string p && p != JsonLinesLoggerProvider.StandardOutput ? (object)ResolvePath(p) : plain));
        }

        var configuration = file.WithOverrides(overrides);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(CAPassword))
            && (configuration.SourceOf("CAPasswordFile") == ServerConfiguration.FromParameter || configuration.SourceOf("CAPasswordVariable") == ServerConfiguration.FromParameter))
        {
            throw new OpenChatException(ErrorIds.ConfigurationInvalid, ErrorKind.InvalidArgument,
                "-CAPassword and -CAPasswordFile or -CAPasswordVariable name two CA passwords: give one.");
        }

        return configuration;
    }

    /// <summary>-CAPassword (which overrides the file's password keys), else the password file or
    /// variable the configuration names, else none.</summary>
    private char[] ReadPassword(ServerConfiguration configuration)
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(CAPassword)))
        {
            return PasswordChars(CAPassword);
        }

        if (configuration.Get<string>("CAPasswordFile") is { } file)
        {
            return CaPasswordSource.ReadFile(file);
        }

        return configuration.Get<string>("CAPasswordVariable") is { } variable ? CaPasswordSource.ReadVariable(variable) : [];
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
    private static CompositeLoggerFactory? OpenLog(ServerConfiguration configuration)
    {
        if (configuration.Get<string>("LogPath") is not { } logPath)
        {
            return null;
        }

        // A file that cannot be opened fails the command like any other per-input error.
        var level = Enum.Parse<Microsoft.Extensions.Logging.LogLevel>(configuration.Get<string>("LogLevel")!);
        return new CompositeLoggerFactory(logPath == JsonLinesLoggerProvider.StandardOutput
            ? new JsonLinesLoggerProvider(Console.OpenStandardOutput(), level)
            : new JsonLinesLoggerProvider(logPath, level));
    }
}
