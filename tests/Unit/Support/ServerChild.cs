using System.Diagnostics;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A chat server in a child process ("OpenChat.Bench serve"), so a test can kill it
/// the hard way: no graceful stop, no flush, no goodbye.</summary>
public sealed class ServerChild : IDisposable
{
    private readonly Process _process;

    private ServerChild(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static ServerChild Start(string dataPath, int port = 0, string? database = null, string? backplane = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { BenchAssembly(), "serve", "--path", dataPath, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in new[] { ("--database", database), ("--backplane", backplane) })
        {
            if (value is not null)
            {
                info.ArgumentList.Add(name);
                info.ArgumentList.Add(value);
            }
        }

        var process = Process.Start(info)!;
        var ready = process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if (ready is null || !ready.StartsWith("READY ", StringComparison.Ordinal))
        {
            process.Kill(true);
            throw new InvalidOperationException($"The server process did not start: {ready}");
        }

        return new ServerChild(process, int.Parse(ready[6..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>SIGKILL: the process gets no chance to do anything.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    /// <summary>The bench tool built next to the tests (tests/Unit/bin/C/net10.0 -> bench/OpenChat.Bench/bin/C/net10.0).</summary>
    public static string BenchAssembly()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "bench", "OpenChat.Bench", "bin", configuration, framework, "OpenChat.Bench.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the crash test needs the bench tool.", path);
    }
}
