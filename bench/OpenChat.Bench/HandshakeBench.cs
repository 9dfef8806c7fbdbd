using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using OpenChat.Engine.Protocol;

namespace OpenChat.Bench;

/// <summary>Full mutual-TLS 1.3 handshakes (plus the Hello/Welcome greeting) per second against
/// the server, next to OpenSSL's own s_time against an OpenSSL s_server with the same
/// certificate (server authentication only, as s_time does). The load is a lean client, like
/// s_time: it presents its certificate and greets, but skips the pinned-CA checks a real client
/// makes, so that the figure is the server's rate rather than the load generator's.</summary>
internal static partial class HandshakeBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var seconds = args.Int("seconds", 5);
        var parallel = args.Int("parallel", 8);
        using var ca = new BenchCa();
        var identities = ca.Users("h", parallel);
        var warmup = args.Int("warmup", 2);
        var contexts = identities.Select(i => SslStreamCertificateContext.Create(i, null, offline: true)).ToList();
        double ours;
        using (var server = ServerProcess.Start(ca.Path))
        {
            long count = 0;
            var clock = Stopwatch.StartNew();
            var counting = false;
            var cpu0 = TimeSpan.Zero;
            var counted = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => Task.Run(async () =>
            {
                while (clock.Elapsed.TotalSeconds < warmup + seconds)
                {
                    await HandshakeAsync(server.Port, contexts[i]);
                    if (Volatile.Read(ref counting))
                    {
                        Interlocked.Increment(ref count);
                    }
                }
            })).Append(Task.Run(async () =>
            {
                // The server's JIT settles during the warm-up; only what follows is counted.
                await Task.Delay(TimeSpan.FromSeconds(warmup));
                cpu0 = server.CpuTime;
                counted.Restart();
                Volatile.Write(ref counting, true);
            })));
            var elapsed = counted.Elapsed.TotalSeconds;
            ours = Interlocked.Read(ref count) / elapsed;
            Console.WriteLine($"openchat mutual-TLS handshakes + greeting: {ours:N0}/s ({parallel} parallel clients in this process, {warmup} s warm-up; server cores {(server.CpuTime - cpu0).TotalSeconds / elapsed:0.00})");
        }

        var openssl = OpenSslTime(ca, seconds);
        if (openssl is { } rate)
        {
            Console.WriteLine($"openssl s_time -new against openssl s_server (server auth only, one client): {rate:N0}/s");
            Console.WriteLine($"ratio: {ours / rate:P0} (target >= 50 %)");
        }

        return 0;
    }

    /// <summary>One full mutual-TLS 1.3 handshake and the Hello/Welcome greeting, then close.</summary>
    private static async Task HandshakeAsync(int port, SslStreamCertificateContext identity)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificateContext = identity,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        });
        await stream.WriteAsync(new Hello(ChatProtocol.Version, ChatProtocol.Version, "bench").ToFrame());
        await stream.FlushAsync();
        var welcome = await new FrameReader(stream).ReadAsync(CancellationToken.None);
        if (welcome?.Type != MessageType.Welcome)
        {
            throw new InvalidOperationException($"expected Welcome, got {welcome?.Type}");
        }
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
