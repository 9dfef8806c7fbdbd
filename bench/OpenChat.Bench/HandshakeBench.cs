using System.Diagnostics;
using System.Text.RegularExpressions;

namespace OpenChat.Bench;

/// <summary>Full mutual-TLS 1.3 handshakes (plus the Hello/Welcome greeting) per second against
/// the server, next to OpenSSL's own s_time against an OpenSSL s_server with the same
/// certificate (server authentication only, as s_time does).</summary>
internal static partial class HandshakeBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var seconds = args.Int("seconds", 5);
        var parallel = args.Int("parallel", 8);
        using var ca = new BenchCa();
        var identities = ca.Users("h", parallel);
        double ours;
        using (var server = ServerProcess.Start(ca.Path))
        {
            long count = 0;
            var stop = Stopwatch.StartNew();
            var cpu0 = server.CpuTime;
            await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => Task.Run(async () =>
            {
                while (stop.Elapsed.TotalSeconds < seconds)
                {
                    await using var client = await BenchClient.ConnectAsync(server.Port, ca, identities[i], room: null);
                    Interlocked.Increment(ref count);
                }
            })));
            ours = count / stop.Elapsed.TotalSeconds;
            Console.WriteLine($"openchat mutual-TLS handshakes + greeting: {ours:N0}/s ({parallel} parallel clients in this process; server cores {(server.CpuTime - cpu0).TotalSeconds / stop.Elapsed.TotalSeconds:0.00})");
        }

        var openssl = OpenSslTime(ca, seconds);
        if (openssl is { } rate)
        {
            Console.WriteLine($"openssl s_time -new against openssl s_server (server auth only, one client): {rate:N0}/s");
            Console.WriteLine($"ratio: {ours / rate:P0} (target >= 50 %)");
        }

        return 0;
    }

    private static double? OpenSslTime(BenchCa ca, int seconds)
    {
        var port = FreePort();
        // Its output goes to /dev/null: an unread pipe would fill and stall it mid-benchmark.
        var serverInfo = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
        };
        serverInfo.ArgumentList.Add("-c");
        serverInfo.ArgumentList.Add($"exec openssl s_server -accept 127.0.0.1:{port} -cert '{ca.Directory.ServerCertificatePath}' -key '{ca.Directory.ServerKeyPath}' -tls1_3 -quiet -naccept 1000000 </dev/null >/dev/null 2>&1");
        using var server = Process.Start(serverInfo);
        if (server is null)
        {
            return null;
        }

        try
        {
            Thread.Sleep(500);
            var timeInfo = new ProcessStartInfo("openssl", $"s_time -connect 127.0.0.1:{port} -new -time {seconds}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var time = Process.Start(timeInfo)!;
            var output = time.StandardOutput.ReadToEnd();
            time.WaitForExit();
            var match = ConnectionsLine().Match(output);
            if (!match.Success)
            {
                Console.WriteLine($"openssl s_time gave no figure: {output[^Math.Min(300, output.Length)..]} {time.StandardError.ReadToEnd()}");
            }

            return match.Success
                ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) / double.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)
                : null;
        }
        finally
        {
            server.Kill(true);
        }
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"(\d+) connections in ([\d.]+) real seconds")]
    private static partial Regex ConnectionsLine();
}
