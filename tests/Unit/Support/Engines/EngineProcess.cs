using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OpenChat.Tests.Unit.Support.Engines;

/// <summary>What starting a real engine (PostgreSQL, nats-server) from Debian needs in a test: a
/// free loopback port, a folder of its own in the temp directory, the pid to stop it by, and
/// the rule that outside CI a missing engine skips its tests while under CI=true it fails them.</summary>
public static class EngineProcess
{
    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private const int SigInt = 2;
    private const int SigKill = 9;

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    /// <summary>A port nothing listens on now (bound and released: the engine takes it next).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A new folder of this run in the temp directory, named for the engine.</summary>
    public static string NewFolder(string engine)
    {
        var path = Path.Combine(Path.GetTempPath(), $"openchat-{engine}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a folder made by <see cref="NewFolder"/>, and nothing else.</summary>
    public static void DeleteFolder(string path, string engine)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.GetFullPath(Path.GetTempPath());
        if (!full.StartsWith(temp, StringComparison.Ordinal) || !Path.GetFileName(full).StartsWith($"openchat-{engine}-", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Refusing to delete '{full}': not a folder this suite made for {engine}.");
        }

        try
        {
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not delete {full}: {e.Message}");
        }
    }

    public static Process Start(string fileName, IEnumerable<string> arguments, string? logPath = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = logPath is not null,
            RedirectStandardError = logPath is not null,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        if (logPath is not null)
        {
            var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
            var gate = new Lock();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { log.WriteLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { log.WriteLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        return process;
    }

    /// <summary>Stops the process by its pid: SIGINT (a fast clean shutdown for both engines), then
    /// SIGKILL after <paramref name="grace"/>; waits on the process itself, not on `kill -0`.</summary>
    public static void Stop(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }

        SysKill(process.Id, SigInt);
        if (!process.WaitForExit(grace))
        {
            SysKill(process.Id, SigKill);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Kills the process at once (a crash, as far as its clients can tell).</summary>
    public static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            SysKill(process.Id, SigKill);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Polls <paramref name="ready"/> until it is true or the deadline passes.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> ready, TimeSpan timeout, string what, Process? process = null, string? logPath = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{what} exited with {process.ExitCode} before it was ready. {Tail(logPath)}");
            }

            if (await ready().ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new TimeoutException($"{what} was not ready within {timeout.TotalSeconds:0} s. {Tail(logPath)}");
    }

    private static string Tail(string? logPath)
    {
        if (logPath is null || !File.Exists(logPath))
        {
            return "";
        }

        var lines = File.ReadAllLines(logPath);
        return "Its log ends: " + string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - 8)));
    }
}
