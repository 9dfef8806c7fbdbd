using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenChat.Engine;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Diagnostics;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>What a server with a JSON log tells its admin about the connections it refuses and closes.</summary>
public class ServerLogTests
{
    /// <summary>Polls the log until an event with this name arrives (and passes the filter).</summary>
    private static async Task<JsonElement> EventAsync(string path, string name, Func<JsonElement, bool>? where = null)
    {
        JsonElement found = default;
        await Eventually.TrueAsync(() =>
        {
            foreach (var line in File.Exists(path) ? JsonLinesLoggerTests.ReadLines(path) : [])
            {
                var root = JsonDocument.Parse(line).RootElement;
                if (root.TryGetProperty("event", out var e) && e.GetString() == name && (where?.Invoke(root) ?? true))
                {
                    found = root.Clone();
                    return true;
                }
            }

            return false;
        }, $"a {name} event in {path}");
        return found;
    }

    private static async Task<(ChatHarness Harness, string LogPath, CompositeLoggerFactory Log)> StartAsync(TempDirectory temp, Action<Engine.Server.ChatServerOptions>? configure = null)
    {
        var path = temp.Combine("server.jsonl");
        var log = new CompositeLoggerFactory(new JsonLinesLoggerProvider(path, LogLevel.Debug));
        var harness = await ChatHarness.StartAsync(o =>
        {
            o.LoggerFactory = log;
            configure?.Invoke(o);
        });
        return (harness, path, log);
    }

    [Fact]
    public async Task A_bad_frame_is_logged_as_a_protocol_violation_with_the_peers_name_and_address()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp);
        await using (h)
        {
            using (log)
            {
                await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory"));
                // A Join whose string claims 4000 bytes but carries 3.
                await raw.SendAsync([0, 0, 0, 10, (byte)MessageType.Join, 0, 0, 0, 1, 0x0F, 0xA0, (byte)'o', (byte)'p', (byte)'s']);
                Assert.Equal(ErrorIds.ProtocolViolation, await raw.ReadUntilClosedAsync());

                var violation = await EventAsync(path, "ProtocolViolation");
                Assert.Equal("Warning", violation.GetProperty("level").GetString());
                Assert.Equal(1020, violation.GetProperty("eventId").GetInt32());
                Assert.Equal("mallory", violation.GetProperty("UserName").GetString());
                Assert.Equal(raw.LocalEndPoint.ToString(), violation.GetProperty("RemoteAddress").GetString());
                Assert.False(string.IsNullOrWhiteSpace(violation.GetProperty("Reason").GetString()));

                var closed = await EventAsync(path, "ConnectionClosed", e => e.GetProperty("UserName").GetString() == "mallory");
                Assert.Equal(ErrorIds.ProtocolViolation, closed.GetProperty("Reason").GetString());
            }
        }
    }

    [Fact]
    public async Task Start_stop_and_an_enrollment_are_logged_without_the_invite_secret()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp);
        using (log)
        {
            await using (h)
            {
                var started = await EventAsync(path, "ServerStarted");
                Assert.Equal(h.Server.Endpoint.ToString(), started.GetProperty("Endpoint").GetString());

                var (record, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("erin", server: h.Address);
                await Engine.Client.ChatEnrollment.RegisterAsync(code.ToString(), h.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
                var enrolled = await EventAsync(path, "EnrollmentSucceeded");
                Assert.Equal("erin", enrolled.GetProperty("UserName").GetString());
                Assert.False(string.IsNullOrEmpty(enrolled.GetProperty("Serial").GetString()));

                var text = string.Join('\n', JsonLinesLoggerTests.ReadLines(path));
                // The invite's id names it for the admin (Get-ChatInvite shows it); its secret and
                // the code that carries the secret never appear.
                Assert.Contains(record.Id, text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(code.ToString(), text, StringComparison.Ordinal);
                Assert.DoesNotContain(Convert.ToBase64String(code.Secret), text, StringComparison.Ordinal);
                Assert.DoesNotContain(Convert.ToHexString(code.Secret), text, StringComparison.OrdinalIgnoreCase);
            }

            await EventAsync(path, "ServerStopped");
        }
    }

    [Fact]
    public async Task A_refused_enrollment_is_logged_with_the_error_id()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp);
        await using (h)
        {
            using (log)
            {
                var (record, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("frank", server: h.Address);
                new InviteBook(new CaDirectory(h.DataPath)).Revoke(record.Id);
                await Assert.ThrowsAsync<OpenChatException>(() => Engine.Client.ChatEnrollment.RegisterAsync(code.ToString(), h.ProfileRoot,
                    ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None));

                var refused = await EventAsync(path, "EnrollmentRefused");
                Assert.Equal("frank", refused.GetProperty("UserName").GetString());
                Assert.False(string.IsNullOrEmpty(refused.GetProperty("ErrorId").GetString()));
            }
        }
    }

    [Fact]
    public async Task A_revocation_the_server_notices_is_logged_with_the_serial_and_the_connection_it_closed()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp);
        await using (h)
        {
            using (log)
            {
                var client = await h.ConnectAsync(await h.EnrollAsync("heidi"));
                var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
                var serial = registry.Find(userName: "heidi").Single().Serial;
                registry.Revoke(serial);

                var noticed = await EventAsync(path, "RevocationsNoticed");
                Assert.Equal(1524, noticed.GetProperty("eventId").GetInt32());
                Assert.Contains(serial, noticed.GetProperty("Serials").GetString(), StringComparison.OrdinalIgnoreCase);
                var closed = await EventAsync(path, "RevokedConnectionClosed");
                Assert.Equal("heidi", closed.GetProperty("UserName").GetString());
            }
        }
    }

    [Fact]
    public async Task The_monitoring_endpoint_and_a_failed_health_check_are_logged()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp, o => o.MetricsPort = 0);
        await using (h)
        {
            using (log)
            {
                var listening = await EventAsync(path, "MonitoringListening");
                Assert.Equal(h.Server.MetricsEndpoint!.ToString(), listening.GetProperty("Endpoint").GetString());

                var db = Path.Combine(h.DataPath, Engine.Storage.SqliteMessageStore.FileName);
                foreach (var file in new[] { db, db + "-wal", db + "-shm" })
                {
                    File.Delete(file);
                }

                Assert.False(h.Server.CheckHealth().Healthy);
                var failed = await EventAsync(path, "HealthCheckFailed");
                Assert.Equal("store", failed.GetProperty("Check").GetString());
                Assert.Equal("Warning", failed.GetProperty("level").GetString());
            }
        }
    }

    [Fact]
    public async Task A_revoked_certificate_is_logged_as_rejected_with_the_reason()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp);
        await using (h)
        {
            using (log)
            {
                var profile = await h.EnrollAsync("grace");
                var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
                var serial = registry.Find(userName: "grace").Single().Serial;
                registry.Revoke(serial);
                await Assert.ThrowsAnyAsync<Exception>(async () =>
                {
                    await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
                });

                var rejected = await EventAsync(path, "CertificateRejected");
                Assert.Contains("revoked", rejected.GetProperty("Reason").GetString(), StringComparison.Ordinal);
                Assert.Contains(serial, rejected.GetProperty("Reason").GetString(), StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task An_idle_connection_is_logged_when_it_is_closed()
    {
        using var temp = new TempDirectory();
        var (h, path, log) = await StartAsync(temp, o =>
        {
            o.IdleTimeout = TimeSpan.FromMilliseconds(300);
            o.RevocationPollInterval = TimeSpan.FromMilliseconds(50);
        });
        await using (h)
        {
            using (log)
            {
                await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("quiet"));
                Assert.Equal(ErrorIds.IdleTimeout, await raw.ReadUntilClosedAsync());
                var idle = await EventAsync(path, "IdleTimeout");
                Assert.Equal("quiet", idle.GetProperty("UserName").GetString());
                Assert.Equal(raw.LocalEndPoint.ToString(), idle.GetProperty("RemoteAddress").GetString());
            }
        }
    }
}
