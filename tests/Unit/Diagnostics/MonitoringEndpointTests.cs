using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OpenChat.Engine.Server;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit;

namespace OpenChat.Tests.Unit.Diagnostics;

/// <summary>/metrics and /healthz of a real server: where they listen, what a scrape says during
/// a chat, and what health says when the store breaks under the running server.</summary>
public sealed class MonitoringEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static Task<ChatHarness> StartAsync(Action<ChatServerOptions>? more = null) => ChatHarness.StartAsync(o =>
    {
        o.MetricsPort = 0;
        more?.Invoke(o);
    });

    private static string Url(OpenChat.Engine.Server.ChatServer server, string path) => $"http://{server.MetricsEndpoint}{path}";

    /// <summary>The samples of a Prometheus text exposition: "name{labels}" → value.</summary>
    internal static Dictionary<string, double> Samples(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (Key: l[..l.LastIndexOf(' ')], Value: l[(l.LastIndexOf(' ') + 1)..]))
            .ToDictionary(s => s.Key, s => double.Parse(s.Value, CultureInfo.InvariantCulture));

    // The le label's bound, however the exporter writes the number (0.00005 or 5E-05).
    private static double BucketBound(string key)
    {
        var at = key.IndexOf("le=\"", StringComparison.Ordinal);
        return at < 0 ? double.NaN
            : double.Parse(key[(at + 4)..key.IndexOf('"', at + 4)], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double Sum(Dictionary<string, double> samples, string name) =>
        samples.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(s => s.Value);

    [Fact]
    public async Task Without_a_metrics_port_nothing_is_served()
    {
        await using var h = await ChatHarness.StartAsync();
        Assert.Null(h.Server.MetricsEndpoint);
    }

    [Fact]
    public async Task The_endpoint_listens_only_on_the_address_it_was_given()
    {
        await using var h = await StartAsync();
        var endpoint = h.Server.MetricsEndpoint!;
        Assert.Equal(IPAddress.Loopback, endpoint.Address);
        Assert.NotEqual(0, endpoint.Port);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(Url(h.Server, "/healthz"))).StatusCode);

        // 127.0.0.2 is this machine too (the loopback network), but not the address bound.
        using var elsewhere = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => elsewhere.ConnectAsync(IPAddress.Parse("127.0.0.2"), endpoint.Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        await using var other = await StartAsync(o => o.MetricsAddress = IPAddress.Parse("127.0.0.2"));
        Assert.Equal(IPAddress.Parse("127.0.0.2"), other.Server.MetricsEndpoint!.Address);
        using var loopback = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => loopback.ConnectAsync(IPAddress.Loopback, other.Server.MetricsEndpoint.Port));
    }

    [Fact]
    public async Task A_scrape_during_a_chat_shows_the_counters_moving()
    {
        await using var h = await StartAsync();
        var before = Samples(await Http.GetStringAsync(Url(h.Server, "/metrics")));
        var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync(TwoChatting.Room);
        await bob.EnterAsync(TwoChatting.Room);
        await alice.SendAsync(TwoChatting.Room, "scraped");
        await SecureHarness.NextWithTextAsync(bob, "scraped");

        var response = await Http.GetAsync(Url(h.Server, "/metrics"));
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();
        var after = Samples(text);
        Assert.Contains("# TYPE openchat_messages_stored_total counter", text);
        Assert.Contains("# TYPE openchat_commit_duration_seconds histogram", text);
        Assert.Contains("# TYPE openchat_commit_fanout_duration_seconds histogram", text);
        Assert.Contains(after.Keys, k => k.StartsWith("openchat_commit_fanout_duration_seconds_bucket{", StringComparison.Ordinal) && BucketBound(k) == 0.00005);
        // A histogram with no labels is exported at zero before anything is recorded, and the
        // log records a fan-out after it, so the count is polled for rather than read once.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Sum(after, "openchat_commit_fanout_duration_seconds_count") < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            after = Samples(await Http.GetStringAsync(Url(h.Server, "/metrics")));
        }

        Assert.True(Sum(after, "openchat_commit_fanout_duration_seconds_count") >= 1, "the chat's commits were fanned out and timed");
        Assert.True(Sum(after, "openchat_messages_stored_total") > Sum(before, "openchat_messages_stored_total"));
        Assert.True(Sum(after, "openchat_messages_received_total") >= 1);
        Assert.True(Sum(after, "openchat_events_delivered_total") >= 1);
        Assert.True(Sum(after, "openchat_commit_batch_size_count") >= 1);
        Assert.True(Sum(after, "openchat_connections") >= 2);
        Assert.Contains(after.Keys, k => k.StartsWith("openchat_handshakes_total{", StringComparison.Ordinal) && k.Contains("outcome=\"ok\""));
        Assert.Contains(after.Keys, k => k.Contains($"node=\"{h.Server.NodeId}\""));
        Assert.True(Sum(after, "openchat_certificate_expiry_timestamp_seconds") > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Health_is_ok_with_200_and_fails_with_503_when_the_message_database_is_replaced()
    {
        await using var h = await StartAsync();
        var healthy = await Http.GetAsync(Url(h.Server, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        using (var json = JsonDocument.Parse(await healthy.Content.ReadAsStringAsync()))
        {
            Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
            var checks = json.RootElement.GetProperty("checks");
            Assert.Equal("ok", checks.GetProperty("listener").GetProperty("status").GetString());
            Assert.Equal("ok", checks.GetProperty("store").GetProperty("status").GetString());
            Assert.False(checks.TryGetProperty("database", out _), "no database is configured");
            Assert.False(checks.TryGetProperty("bus", out _), "no bus is configured");
        }

        // The running server's open connection still works on the old file; the check opens it afresh.
        var path = Path.Combine(h.DataPath, SqliteMessageStore.FileName);
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }

        File.WriteAllBytes(path, Encoding.ASCII.GetBytes(new string('x', 4096)));

        var broken = await Http.GetAsync(Url(h.Server, "/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        using (var json = JsonDocument.Parse(await broken.Content.ReadAsStringAsync()))
        {
            Assert.Equal("failing", json.RootElement.GetProperty("status").GetString());
            var store = json.RootElement.GetProperty("checks").GetProperty("store");
            Assert.Equal("failing", store.GetProperty("status").GetString());
            Assert.Contains("SqliteException", store.GetProperty("detail").GetString());
            Assert.Equal("ok", json.RootElement.GetProperty("checks").GetProperty("listener").GetProperty("status").GetString());
        }

        Assert.False(h.Server.CheckHealth().Healthy);
    }

    [Fact]
    public async Task Anything_but_a_GET_of_metrics_or_healthz_is_refused()
    {
        await using var h = await StartAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(Url(h.Server, "/"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Http.PostAsync(Url(h.Server, "/metrics"), new StringContent("x"))).StatusCode);

        // A head larger than the bound is not read to its end, and the endpoint goes on serving.
        using (var flood = new TcpClient())
        {
            await flood.ConnectAsync(h.Server.MetricsEndpoint!);
            var stream = flood.GetStream();
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: " + new string('a', 20_000)));
                var answer = new byte[64];
                var read = await stream.ReadAsync(answer);
                Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(answer, 0, read));
            }
            catch (IOException)
            {
                // Reset by the server before the answer was read: refused as well.
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(Url(h.Server, "/healthz"))).StatusCode);
    }

    [PostgresFact]
    public async Task Health_fails_when_the_PostgreSQL_database_stops()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        using var temp = new TempDirectory();
        await using var server = await OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("node"), new ChatServerOptions { Port = 0, MetricsPort = 0, Database = database });
        var healthy = server.CheckHealth();
        Assert.True(healthy.Healthy, string.Join("; ", healthy.Checks.Select(c => $"{c.Key}: {c.Value.Detail}")));
        Assert.True(healthy.Checks["database"].Healthy);

        postgres.Stop();
        var response = await Http.GetAsync(Url(server, "/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var report = server.CheckHealth();
        Assert.False(report.Checks["database"].Healthy);
        Assert.False(report.Checks["store"].Healthy);
        Assert.True(report.Checks["listener"].Healthy);
    }
}
