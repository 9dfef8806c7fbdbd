using System.Diagnostics;
using Npgsql;

namespace OpenChat.Tests.Unit.Support.Engines;

/// <summary>
/// A PostgreSQL cluster from Debian's binaries, started by the suite in a temp folder on a free
/// loopback port and stopped by its pid. <c>initdb</c> and <c>postgres</c> refuse root, so as root
/// they run as the system user <see cref="SystemUser"/> through <c>setpriv</c> (a direct child, so
/// SIGINT reaches it). <see cref="Shared"/> is one cluster for the whole run (each test takes its
/// own database); a test that stops or restarts the engine starts its own with <see cref="StartAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string SystemUser = "openchat-pg";

    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(() => StartAsync(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _folder;
    private readonly string _bin;
    private readonly bool _durable;
    private Process? _process;
    private Process? _reaper;

    private PostgresServer(string folder, string bin, int port, bool durable)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
        _durable = durable;
    }

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_folder, "data");

    public string LogPath => Path.Combine(_folder, "postgres.log");

    /// <summary>Connection string of the cluster's maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The pid of the running engine (the postmaster, parent of every backend), or null.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Why tests that need PostgreSQL are skipped here (binaries missing, outside CI), or null.</summary>
    public static string? SkipReason => Binaries() is null && !EngineProcess.OnCi
        ? "PostgreSQL is not installed (Debian: apt-get install postgresql); CI=true makes this a failure"
        : null;

    /// <summary>The cluster every test of the run shares; started on first use, stopped at exit.</summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        Timeout = 5,
    }.ConnectionString;

    /// <summary>A new empty database of its own for one test; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        return ConnectionString(name);
    }

    /// <summary>The data of a database as pg_dump writes it (bytea as hex): what a thief of the
    /// database would hold.</summary>
    public async Task<byte[]> DumpAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        var info = new ProcessStartInfo(Path.Combine(_bin, "pg_dump")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--data-only", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", database })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("pg_dump did not start");
        using var output = new MemoryStream();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(output).ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_dump failed ({process.ExitCode}): {await errors.ConfigureAwait(false)}");
        }

        return output.ToArray();
    }

    /// <summary>What an admin's backup of a deployment is: <c>pg_dump --format=custom</c> of the
    /// database into <paramref name="file"/>.</summary>
    public Task DumpToFileAsync(string connectionString, string file) =>
        RunToolAsync("pg_dump", ["--format=custom", "--file", file, "--dbname", new NpgsqlConnectionStringBuilder(connectionString).Database!]);

    /// <summary><c>pg_restore</c> of such a dump into the (new, empty) database of <paramref name="connectionString"/>.</summary>
    public Task RestoreFromFileAsync(string file, string connectionString) =>
        RunToolAsync("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", new NpgsqlConnectionStringBuilder(connectionString).Database!, file]);

    private async Task RunToolAsync(string tool, string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(_bin, tool)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres" }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {await errors.ConfigureAwait(false)} {await output.ConfigureAwait(false)}");
        }
    }

    /// <summary>Starts a new cluster (initdb, then postgres). Throws when the binaries are missing
    /// or it does not come up: a test that needs it must not pass without it. Tests run it with
    /// fsync off (nothing they check needs the disk); <paramref name="durable"/> keeps PostgreSQL's
    /// own defaults (fsync and synchronous commit on), for the bench to compare with SQLite's FULL.</summary>
    public static async Task<PostgresServer> StartAsync(bool durable = false)
    {
        var bin = Binaries() ?? throw new InvalidOperationException("PostgreSQL is not installed (Debian: apt-get install postgresql)");
        var folder = EngineProcess.NewFolder("postgres");
        var server = new PostgresServer(folder, bin, EngineProcess.FreePort(), durable);
        try
        {
            if (EngineProcess.IsRoot)
            {
                EnsureSystemUser();
                Run("chown", [SystemUser, folder]);
            }

            RunAs(Path.Combine(bin, "initdb"), ["-N", "-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8"]);
            server.StartReaper();
            await server.StartProcessAsync().ConfigureAwait(false);
            // Whoever started it may forget (or fail before) disposing: never leave a postmaster behind.
            // The test host may be killed while this runs (see StartReaper), so it is not the only guard.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the postmaster (SIGINT: a fast shutdown) and waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is { } process)
        {
            EngineProcess.Stop(process, TimeSpan.FromSeconds(20));
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Kills the postmaster at once (SIGKILL): its backends go with it.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            EngineProcess.Kill(process);
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the stopped cluster again on the same port and data.</summary>
    public Task RestartAsync()
    {
        Stop();
        return StartProcessAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        EngineProcess.DeleteFolder(_folder, "postgres");
        if (_reaper is { } reaper)
        {
            _reaper = null;
            // Its stdin closes: it finds nothing left to stop or delete and exits.
            reaper.StandardInput.Close();
            reaper.Dispose();
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    // The ProcessExit handler alone left the folder behind: at the end of a run the test platform
    // gives the test host only a moment to exit, then kills it, and a postmaster's shutdown
    // checkpoint takes longer, so the host died while it waited, before the folder was deleted
    // (the log of such a cluster stops at "checkpoint starting: shutdown immediate"). A small
    // shell outlives the host instead: it blocks reading a pipe only the host holds, and when
    // the host is gone, however it went, it stops the postmaster named in postmaster.pid (only
    // if that pid is still a live postgres) and deletes the folder. As root it runs as root, so
    // the files of the system user are no obstacle.
    private void StartReaper()
    {
        var full = Path.GetFullPath(_folder);
        if (!full.StartsWith(Path.GetFullPath(Path.GetTempPath()), StringComparison.Ordinal) || !Path.GetFileName(full).StartsWith("openchat-postgres-", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Refusing to hand '{full}' to the reaper: not a folder this suite made.");
        }

        const string Script = """
            cat >/dev/null
            alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = postgres ]; }
            pid=$(head -n1 "$1/data/postmaster.pid" 2>/dev/null)
            if [ -n "$pid" ] && alive "$pid"; then
                kill -INT "$pid"
                i=0
                while alive "$pid" && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
            fi
            rm -rf -- "$1"
            """;
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in new[] { "sh", "-c", Script, "openchat-postgres-reaper", full })
        {
            info.ArgumentList.Add(argument);
        }

        _reaper = Process.Start(info) ?? throw new InvalidOperationException("the PostgreSQL folder reaper did not start");
    }

    private async Task StartProcessAsync()
    {
        var (file, arguments) = AsSystemUser(Path.Combine(_bin, "postgres"),
            ["-D", DataDirectory, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _folder,
             "-c", "listen_addresses=127.0.0.1", "-c", _durable ? "fsync=on" : "fsync=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB"]);
        _process = EngineProcess.Start(file, arguments, LogPath);
        await EngineProcess.WaitUntilAsync(CanConnectAsync, TimeSpan.FromSeconds(60), $"PostgreSQL on port {Port}", _process, LogPath).ConfigureAwait(false);
    }

    private async Task<bool> CanConnectAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
            await connection.OpenAsync().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static string? Binaries()
    {
        var root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static readonly Lock UserGate = new();

    private static void EnsureSystemUser()
    {
        lock (UserGate)
        {
            if (Run("id", ["-u", SystemUser], check: false) != 0)
            {
                Run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SystemUser], check: false);
                Run("id", ["-u", SystemUser]);
            }
        }
    }

    private static (string File, string[] Arguments) AsSystemUser(string file, string[] arguments) => EngineProcess.IsRoot
        ? ("setpriv", ["--reuid=" + SystemUser, "--regid=" + SystemUser, "--init-groups", file, .. arguments])
        : (file, arguments);

    private static void RunAs(string file, string[] arguments)
    {
        var (actual, actualArguments) = AsSystemUser(file, arguments);
        Run(actual, actualArguments);
    }

    private static int Run(string file, string[] arguments, bool check = true)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error} {output.Result}");
        }

        return process.ExitCode;
    }
}
