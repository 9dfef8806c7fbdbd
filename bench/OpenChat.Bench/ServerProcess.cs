using System.Diagnostics;

namespace OpenChat.Bench;

/// <summary>Runs "OpenChat.Bench serve" as a child process and reads its CPU time and memory.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, int port, int metricsPort)
    {
        _process = process;
        Port = port;
        MetricsPort = metricsPort;
    }

    /// <summary>The port of the server's /metrics endpoint when started with "--metrics"; 0 otherwise.</summary>
    public int MetricsPort { get; }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public static ServerProcess Start(string dataPath, int port = 0, params string[] extra) =>
        StartCommand(["serve", "--path", dataPath, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra]);

    /// <summary>The raw TLS fan-out (<c>raw-serve</c>) in a process of its own, like OpenChat's server.</summary>
    public static ServerProcess StartRaw(BenchCa ca) =>
        StartCommand(["raw-serve", "--cert", ca.Directory.ServerCertificatePath, "--key", ca.Directory.ServerKeyPath]);

    private static ServerProcess StartCommand(string[] arguments)
    {
        var self = typeof(ServerProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(self);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server process");
        var line = process.StandardOutput.ReadLine();
        if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
        {
            process.Kill(true);
            throw new InvalidOperationException($"server did not start: {line}");
        }

        var metricsPort = 0;
        if (arguments.Contains("--metrics"))
        {
            var metrics = process.StandardOutput.ReadLine();
            if (metrics is null || !metrics.StartsWith("METRICS ", StringComparison.Ordinal))
            {
                process.Kill(true);
                throw new InvalidOperationException($"server did not report its metrics port: {metrics}");
            }

            metricsPort = int.Parse(metrics[8..], System.Globalization.CultureInfo.InvariantCulture);
        }

        return new ServerProcess(process, int.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture), metricsPort);
    }

    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Resident memory in bytes (VmRSS).</summary>
    public long ResidentBytes
    {
        get
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }

            return 0;
        }
    }

    /// <summary>Bytes the server process has sent to the storage layer (write_bytes in
    /// /proc/PID/io: the database's pages and log, not its sockets); 0 where not accounted.</summary>
    public long DiskWriteBytes => WriteBytes(_process.Id);

    /// <summary>write_bytes of process <paramref name="pid"/> (0 where not accounted).</summary>
    public static long WriteBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    return long.Parse(line[12..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not readable here (another user's process, or no such file): reported as unknown.
        }

        return 0;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(true);
            }
        }

        _process.Dispose();
    }
}
