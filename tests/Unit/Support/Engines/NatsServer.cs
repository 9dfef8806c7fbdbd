using System.Diagnostics;
using System.Net.Sockets;

namespace OpenChat.Tests.Unit.Support.Engines;

/// <summary>
/// A nats-server from Debian's package, started by the suite in a temp folder on a free loopback
/// port and stopped by its pid (<c>nats-server -a 127.0.0.1 -p PORT</c>). A test that stops or
/// restarts it starts its own; <see cref="RestartAsync"/> comes back on the same port, as a real
/// deployment's bus does.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _binary;
    private readonly IReadOnlyList<string> _extra;
    private Process? _process;

    private NatsServer(string folder, string binary, int port, IReadOnlyList<string> extra)
    {
        _folder = folder;
        _binary = binary;
        Port = port;
        _extra = extra;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public string LogPath => Path.Combine(_folder, "nats-server.log");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The pid of the running nats-server, or null.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Why tests that need nats-server are skipped here (not installed, outside CI), or null.</summary>
    public static string? SkipReason => Binary() is null && !EngineProcess.OnCi
        ? "nats-server is not installed (Debian: apt-get install nats-server); CI=true makes this a failure"
        : null;

    /// <summary>Starts a new nats-server. Throws when it is missing or does not come up: a test
    /// that needs it must not pass without it.</summary>
    /// <param name="extraArguments">Further command-line options (the benchmark's TLS files).</param>
    public static async Task<NatsServer> StartAsync(IReadOnlyList<string>? extraArguments = null)
    {
        var binary = Binary() ?? throw new InvalidOperationException("nats-server is not installed (Debian: apt-get install nats-server)");
        var server = new NatsServer(EngineProcess.NewFolder("nats"), binary, EngineProcess.FreePort(), extraArguments ?? []);
        try
        {
            await server.StartProcessAsync().ConfigureAwait(false);
            // Whoever started it may forget (or fail before) disposing: never leave a server behind.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops it (SIGINT: it closes its clients' connections) and waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is { } process)
        {
            EngineProcess.Stop(process, TimeSpan.FromSeconds(10));
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Kills it at once (SIGKILL).</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            EngineProcess.Kill(process);
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts it again (stopped first if it runs) on the same port.</summary>
    public Task RestartAsync()
    {
        Stop();
        return StartProcessAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        EngineProcess.DeleteFolder(_folder, "nats");
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private async Task StartProcessAsync()
    {
        _process = EngineProcess.Start(_binary, ["-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _extra], LogPath);
        await EngineProcess.WaitUntilAsync(CanConnectAsync, TimeSpan.FromSeconds(30), $"nats-server on port {Port}", _process, LogPath).ConfigureAwait(false);
    }

    private async Task<bool> CanConnectAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port).ConfigureAwait(false);
            // The server greets every client with INFO once it serves.
            var buffer = new byte[4];
            var read = await client.GetStream().ReadAsync(buffer).ConfigureAwait(false);
            return read == 4 && System.Text.Encoding.ASCII.GetString(buffer) == "INFO";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private static string? Binary() =>
        new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists);
}
