using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Bench.Peers;

/// <summary>
/// ngIRCd (Debian's package) as a fan-out peer: an IRC channel over TLS, every receiver a client
/// joined to it, one or more publishers sending PRIVMSG. Its flood penalty is switched off
/// (MaxPenaltyTime = 0), since a publisher far over a person's typing speed is the point here.
/// </summary>
internal sealed class IrcPeer : IDisposable
{
    private const string Channel = "#bench";
    private static readonly byte[] PrivmsgMarker = Encoding.ASCII.GetBytes(" PRIVMSG " + Channel + " :");
    private readonly string _folder;
    private readonly Process _process;

    private IrcPeer(string folder, Process process, int port)
    {
        _folder = folder;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<IrcPeer> StartAsync(BenchCa ca)
    {
        var binary = new[] { "/usr/sbin/ngircd", "/usr/bin/ngircd" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("ngircd is not installed (Debian: apt-get install ngircd)");
        var folder = EngineProcess.NewFolder("ngircd");
        var port = EngineProcess.FreePort();
        var plainPort = EngineProcess.FreePort();
        var config = Path.Combine(folder, "ngircd.conf");
        File.WriteAllText(config, string.Join('\n',
            "[Global]", "Name = bench.openchat.invalid", "Info = OpenChat bench peer", "Listen = 127.0.0.1",
            $"Ports = {plainPort}", $"PidFile = {Path.Combine(folder, "ngircd.pid")}", $"MotdPhrase = bench",
            "[Limits]", "MaxConnections = 0", "MaxConnectionsIP = 0", "MaxJoins = 0", "PingTimeout = 600", "PongTimeout = 600", "MaxPenaltyTime = 0",
            "[Options]", "DNS = no", "Ident = no", "PAM = no",
            "[SSL]", $"CertFile = {ca.Directory.ServerCertificatePath}", $"KeyFile = {ca.Directory.ServerKeyPath}", $"Ports = {port}", "") + "\n");
        var log = Path.Combine(folder, "ngircd.log");
        var process = EngineProcess.Start(binary, ["-n", "-p", "-f", config], log);
        var peer = new IrcPeer(folder, process, port);
        try
        {
            await EngineProcess.WaitUntilAsync(async () =>
            {
                try
                {
                    using var tcp = new TcpClient();
                    await tcp.ConnectAsync("127.0.0.1", port);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), $"ngircd on port {port}", process, log);
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Connects, registers as <paramref name="nick"/> and joins the channel.</summary>
    private async Task<SslStream> JoinAsync(string nick)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", Port);
        var stream = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 });
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN {Channel}\r\n"));
        await stream.FlushAsync();
        // 366 ends the reply to JOIN: from then on the client gets the channel's messages.
        var seen = new StringBuilder();
        var buffer = new byte[8192];
        var deadline = Stopwatch.StartNew();
        while (!seen.ToString().Contains($" 366 {nick} ", StringComparison.Ordinal))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"{nick} did not join {Channel}: {seen}");
            }

            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                throw new IOException($"ngircd closed {nick}'s connection: {seen}");
            }

            seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return stream;
    }

    public async Task<FanoutBench.Result> PhaseAsync(int members, int size, int seconds, int warmup, double rate, int publisherCount = 1)
    {
        var phase = Guid.NewGuid().ToString("N")[..4];
        var receivers = new List<SslStream>();
        for (var i = 0; i < members; i++)
        {
            receivers.Add(await JoinAsync($"r{phase}{i}"));
        }

        var publishers = new List<SslStream>();
        for (var i = 0; i < publisherCount; i++)
        {
            publishers.Add(await JoinAsync($"p{phase}{i}"));
        }

        var counters = new PhaseCounters();
        using var stop = new CancellationTokenSource();
        var reading = receivers.Select(r => Task.Run(() => ReadAsync(r, stamp =>
        {
            if (counters.Delivered())
            {
                counters.Latency.Add(stamp);
            }
        }, stop.Token))).ToList();

        // A publisher is in the channel too, so it gets the other publishers' lines: they are
        // read (and not counted), or ngIRCd would drop it for a full send queue.
        var draining = publishers.Count > 1 ? publishers.Select(p => Task.Run(() => ReadAsync(p, _ => { }, stop.Token))).ToList() : [];
        var publishing = publishers.Select(publisher => Task.Run(async () =>
        {
            var pacer = new RatePacer(rate / publishers.Count);
            var batch = new MemoryStream();
            // The text is the stamp in hex, padded to the body size (IRC lines are text).
            var padding = new string('x', Math.Max(0, size - 16));
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var count = await pacer.NextAsync(stop.Token);
                    batch.SetLength(0);
                    for (var i = 0; i < count; i++)
                    {
                        batch.Write(Encoding.ASCII.GetBytes($"PRIVMSG {Channel} :{Latency.Stamp():x16}{padding}\r\n"));
                    }

                    await publisher.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), stop.Token);
                    await publisher.FlushAsync(stop.Token);
                    counters.Published(count);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        })).ToList();

        var window = await counters.MeasureAsync(warmup, seconds, new CpuMeter(() => CpuMeter.TreeTime([_process.Id])));
        stop.Cancel();
        foreach (var stream in receivers.Concat(publishers))
        {
            stream.Dispose();
        }

        await Task.WhenAll(reading.Concat(publishing).Concat(draining));
        return counters.Result(window, window.Cores.Servers);
    }

    // Counts the channel's PRIVMSG lines and hands on each one's stamp; answers PING so the
    // server keeps the client.
    private static async Task ReadAsync(SslStream stream, Action<long> onMessage, CancellationToken stop)
    {
        var buffer = new byte[256 * 1024];
        var filled = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), stop);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                var offset = 0;
                int end;
                while ((end = buffer.AsSpan(offset, filled - offset).IndexOf((byte)'\n')) >= 0)
                {
                    var line = buffer.AsSpan(offset, end);
                    var marker = line.IndexOf(PrivmsgMarker);
                    if (marker >= 0 && line.Length >= marker + PrivmsgMarker.Length + 16
                        && Utf8Parser.TryParse(line.Slice(marker + PrivmsgMarker.Length, 16), out ulong stamp, out _, 'x'))
                    {
                        onMessage((long)stamp);
                    }
                    else if (line.StartsWith("PING "u8))
                    {
                        var pong = new byte[line.Length + 1];
                        "PONG"u8.CopyTo(pong);
                        line[4..].CopyTo(pong.AsSpan(4));
                        pong[^1] = (byte)'\n';
                        await stream.WriteAsync(pong, stop);
                    }

                    offset += end + 1;
                }

                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        EngineProcess.Stop(_process, TimeSpan.FromSeconds(10));
        _process.Dispose();
        EngineProcess.DeleteFolder(_folder, "ngircd");
    }
}
