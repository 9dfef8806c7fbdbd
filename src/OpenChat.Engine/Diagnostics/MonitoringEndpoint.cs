using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>What the monitoring endpoint answers one GET with.</summary>
public sealed record MonitoringResponse(int Status, string ContentType, byte[] Body);

/// <summary>
/// The server's plain-HTTP monitoring listener: <c>GET /metrics</c> and <c>GET /healthz</c>,
/// nothing else, on exactly the address it is given (loopback unless the admin says otherwise).
/// A TcpListener rather than HttpListener, which cannot take port 0 and matches the Host header
/// against its prefix (a scraper that says "localhost" to a 127.0.0.1 prefix gets 404). Anyone
/// who reaches the port may ask, so requests are bounded: a few at a time, a small head, each
/// answered or dropped within 15 seconds, one request per connection.
/// </summary>
public sealed class MonitoringEndpoint : IAsyncDisposable
{
    public const int MaxHeadBytes = 8 * 1024;

    public const int MaxAtOnce = 8;

    // Room for the health checks (each may take HealthReport.CheckTimeout) and the answer.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpListener _listener;
    private readonly Func<string, CancellationToken, Task<MonitoringResponse?>> _answer;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _places = new(MaxAtOnce, MaxAtOnce);
    private Task _acceptLoop = Task.CompletedTask;

    /// <param name="answer">The response to a GET of a path (without the query), or null for 404.</param>
    public MonitoringEndpoint(IPAddress address, int port, Func<string, CancellationToken, Task<MonitoringResponse?>> answer, ILogger log)
    {
        _listener = new TcpListener(address, port);
        _answer = answer;
        _log = log;
    }

    /// <summary>Where it listens (the real port when 0 was asked for), once started.</summary>
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    public void Start()
    {
        try
        {
            _listener.Start(backlog: 64);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new OpenChatException(ErrorIds.AddressInUse, ErrorKind.Unavailable,
                $"The metrics port {((IPEndPoint)_listener.LocalEndpoint).Port} on {((IPEndPoint)_listener.LocalEndpoint).Address} is already in use. Choose another -MetricsPort (0 picks a free one).", e);
        }

        Endpoint = (IPEndPoint)_listener.LocalEndpoint;
        _acceptLoop = Task.Run(AcceptLoopAsync);
        ObserveLog.MonitoringListening(_log, Endpoint.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                _log.Failed(e, "monitoring.accept");
                continue;
            }

            if (!_places.Wait(0))
            {
                // Busy: a scraper retries at its next interval; a flood buys nothing.
                socket.Dispose();
                continue;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(RequestTimeout);
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var response = await RespondAsync(await ReadHeadAsync(stream, deadline.Token).ConfigureAwait(false), deadline.Token).ConfigureAwait(false);
            var head = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {response.Status} {Reason(response.Status)}\r\nContent-Type: {response.ContentType}\r\nContent-Length: {response.Body.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(head, deadline.Token).ConfigureAwait(false);
            await stream.WriteAsync(response.Body, deadline.Token).ConfigureAwait(false);
            await stream.FlushAsync(deadline.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The asker went away, was too slow, or the server is stopping: nothing to answer.
            ObserveLog.MonitoringRequestAbandoned(_log, e.GetType().Name);
        }
        catch (Exception e)
        {
            _log.Failed(e, "monitoring.request");
        }
        finally
        {
            socket.Dispose();
            _places.Release();
        }
    }

    private async Task<MonitoringResponse> RespondAsync(string? requestLine, CancellationToken cancellationToken)
    {
        var parts = requestLine?.Split(' ');
        if (parts is not { Length: 3 } || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return Text(400, "Bad request.");
        }

        if (parts[0] != "GET")
        {
            return Text(405, "Only GET is served here.");
        }

        var path = parts[1].Split('?', 2)[0];
        return await _answer(path, cancellationToken).ConfigureAwait(false) ?? Text(404, "Not found: this endpoint serves /metrics and /healthz.");
    }

    // The request line, once the whole head (up to the empty line) has arrived; null when it is
    // larger than MaxHeadBytes or the peer closed first.
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var used = 0;
        while (used < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(used), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            used += read;
            var text = Encoding.ASCII.GetString(buffer, 0, used);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal) || text.Contains("\n\n", StringComparison.Ordinal))
            {
                return text.Split('\n', 2)[0].TrimEnd('\r');
            }
        }

        return null;
    }

    public static MonitoringResponse Text(int status, string text) => new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text + "\n"));

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
