using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

namespace OpenChat.Bench;

/// <summary>
/// The limit OpenChat's fan-out is compared with: TLS 1.3 streams and nothing else. A receiver
/// sends 'R', a publisher 'P' then length-prefixed frames; every frame is copied once and queued
/// to every receiver, whose writer coalesces queued frames into large writes — the same shape
/// as the real server minus parsing, sequencing and storage. It runs in the bench's process
/// (peer "raw": its CPU is then the whole process's, load included) or in one of its own
/// (<c>raw-serve</c>; peer "raw-process", and <c>fanout --rate</c>).
/// </summary>
internal sealed class RawFanoutServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly SslStreamCertificateContext _context;
    private readonly List<Channel<byte[]>> _receivers = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();

    private RawFanoutServer(X509Certificate2 certificate)
    {
        _context = SslStreamCertificateContext.Create(certificate, null, offline: true);
        _listener.Start(1024);
        _ = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static RawFanoutServer Start(BenchCa ca) => new(ca.ServerCertificate);

    public static RawFanoutServer Start(X509Certificate2 certificate) => new(certificate);

    public static Task<FanoutBench.Result> PhaseAsync(RawFanoutServer server, int members, int publishers, int size, int seconds, int warmup, double rate) =>
        // In this process, "server cores" is the whole process: the raw server shares it with its load.
        PhaseAsync(server.Port, new CpuMeter(() => Process.GetCurrentProcess().TotalProcessorTime), server.ForgetReceivers, members, publishers, size, seconds, warmup, rate);

    /// <summary>One phase against a raw server listening on <paramref name="port"/>, in this
    /// process or in its own (<c>raw-serve</c>), whose CPU <paramref name="meter"/> reads.</summary>
    public static async Task<FanoutBench.Result> PhaseAsync(int port, CpuMeter meter, Action? afterPhase, int members, int publishers, int size, int seconds, int warmup, double rate)
    {
        var receivers = new List<SslStream>();
        for (var i = 0; i < members; i++)
        {
            receivers.Add(await ConnectAsync(port, (byte)'R'));
        }

        var senders = new List<SslStream>();
        for (var i = 0; i < publishers; i++)
        {
            senders.Add(await ConnectAsync(port, (byte)'P'));
        }

        var counters = new PhaseCounters();
        using var stop = new CancellationTokenSource();
        var reading = receivers.Select(r => FrameCounter.RunAsync(r, frame =>
        {
            if (counters.Delivered())
            {
                counters.Latency.Add(BitConverter.ToInt64(frame));
            }
        }, stop.Token)).ToList();

        var publishing = senders.Select(s => Task.Run(async () =>
        {
            var frame = new byte[4 + size];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)size);
            var batch = new byte[frame.Length * 64];
            var pacer = new RatePacer(rate / publishers);
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var count = await pacer.NextAsync(stop.Token);
                    for (var i = 0; i < count; i++)
                    {
                        BitConverter.TryWriteBytes(frame.AsSpan(4), Latency.Stamp());
                        frame.CopyTo(batch, i * frame.Length);
                    }

                    await s.WriteAsync(batch.AsMemory(0, count * frame.Length), stop.Token);
                    await s.FlushAsync(stop.Token);
                    counters.Published(count);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        })).ToList();

        var window = await counters.MeasureAsync(warmup, seconds, meter);
        stop.Cancel();
        foreach (var stream in receivers.Concat(senders))
        {
            stream.Dispose();
        }

        await Task.WhenAll(reading.Concat(publishing).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        afterPhase?.Invoke();
        return counters.Result(window, window.Cores.Servers);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private void ForgetReceivers()
    {
        lock (_gate)
        {
            foreach (var r in _receivers)
            {
                r.Writer.TryComplete();
            }

            _receivers.Clear();
        }
    }

    private static async Task<SslStream> ConnectAsync(int port, byte role)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls13 });
        await stream.WriteAsync(new[] { role });
        await stream.FlushAsync();
        return stream;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        await using var stream = new SslStream(new NetworkStream(socket, true));
        try
        {
            await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _context, EnabledSslProtocols = SslProtocols.Tls13 });
            var role = new byte[1];
            if (await stream.ReadAsync(role) == 0)
            {
                return;
            }

            if (role[0] == (byte)'R')
            {
                var queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
                lock (_gate)
                {
                    _receivers.Add(queue);
                }

                // A receiver sends nothing after its role: a read that ends is its leaving, which
                // takes its queue out of the fan-out (in another process nobody forgets it for us).
                _ = Task.Run(async () =>
                {
                    try
                    {
                        _ = await stream.ReadAsync(new byte[1], _stop.Token); // 0 (closed) or a stray byte: either way it is done
                    }
                    catch (Exception)
                    {
                    }

                    queue.Writer.TryComplete();
                    lock (_gate)
                    {
                        _receivers.Remove(queue);
                    }
                });

                var buffer = new byte[64 * 1024];
                while (await queue.Reader.WaitToReadAsync(_stop.Token))
                {
                    var used = 0;
                    while (queue.Reader.TryPeek(out var f) && used + f.Length <= buffer.Length)
                    {
                        queue.Reader.TryRead(out _);
                        f.CopyTo(buffer, used);
                        used += f.Length;
                    }

                    await stream.WriteAsync(buffer.AsMemory(0, used), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                }
            }
            else
            {
                await FrameCounter.RunAsync(stream, frame =>
                {
                    var copy = new byte[frame.Length + 4];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(copy, (uint)frame.Length);
                    frame.CopyTo(copy.AsSpan(4));
                    Channel<byte[]>[] targets;
                    lock (_gate)
                    {
                        targets = [.. _receivers];
                    }

                    foreach (var target in targets)
                    {
                        target.Writer.TryWrite(copy);
                    }
                }, _stop.Token);
            }
        }
        catch (Exception)
        {
        }
    }
}
