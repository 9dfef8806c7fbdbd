using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;
using EngineServer = OpenChat.Engine.Server.ChatServer;

namespace OpenChat.Tests.Unit.Server;

/// <summary>The warning a server logs at start about what expires within 30 days, on a clock the
/// test moves instead of waiting a year.</summary>
public class ExpiryWarningTests
{
    private const int ExpiringSoonEvent = 1050;
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Prepare(TempDirectory temp, ManualTime time, Action<CertificateAuthority> issue)
    {
        var directory = CertificateAuthority.Create(temp.Combine("server"), "Expiry CA", "", time: time);
        using var authority = CertificateAuthority.Open(directory, "", time);
        authority.IssueServer([], []).Certificate.Dispose();
        issue(authority);
        return directory.Path;
    }

    private static async Task<(EngineServer Server, RecordingLoggerFactory Log)> StartAsync(string path, ManualTime time)
    {
        var log = new RecordingLoggerFactory();
        var server = await EngineServer.StartAsync(path, new ChatServerOptions { Port = 0, Time = time, LoggerFactory = log });
        return (server, log);
    }

    [Fact]
    public async Task A_server_whose_users_certificates_expire_within_30_days_logs_a_warning_naming_them()
    {
        using var temp = new TempDirectory();
        var time = new ManualTime(Start);
        var path = Prepare(temp, time, ca =>
        {
            ca.IssueClient("brief", 20);
            ca.IssueClient("steady", 365);
        });

        var (server, log) = await StartAsync(path, time);
        await using (server)
        {
            var warning = Assert.Single(log.Events, e => e.EventId == ExpiringSoonEvent);
            Assert.Contains("1 user certificate(s) (brief)", warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("steady", warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("TLS", warning.Message, StringComparison.Ordinal);
            Assert.Single(server.CheckExpiry().UserCertificatesExpiring);
        }
    }

    [Fact]
    public async Task A_server_with_nothing_expiring_soon_logs_no_expiry_warning()
    {
        using var temp = new TempDirectory();
        var time = new ManualTime(Start);
        var path = Prepare(temp, time, ca => ca.IssueClient("steady", 365));

        var (server, log) = await StartAsync(path, time);
        await using (server)
        {
            Assert.DoesNotContain(log.Events, e => e.EventId == ExpiringSoonEvent);
            var report = server.CheckExpiry();
            Assert.False(report.AnythingExpiresSoon);
            Assert.Equal(new DateTimeOffset(server.ServerCertificate.NotAfter.ToUniversalTime()), report.ServerCertificateExpires);
        }
    }

    [Fact]
    public async Task A_server_started_near_the_end_of_its_certificate_renews_it_first_and_then_reports_on_its_own_clock()
    {
        using var temp = new TempDirectory();
        var time = new ManualTime(Start);
        var path = Prepare(temp, time, _ => { });

        // 397 days is the server certificate's default life: 380 days on, 17 are left, past two
        // thirds, so the start renews it (event 4020) and then has nothing to warn about.
        time.Advance(TimeSpan.FromDays(380));
        var (server, log) = await StartAsync(path, time);
        await using (server)
        {
            Assert.Contains(log.Events, e => e.EventId == 4020);
            Assert.DoesNotContain(log.Events, e => e.EventId == ExpiringSoonEvent);
            Assert.False(server.CheckExpiry().ServerCertificateExpiresSoon);
            // The renewed certificate lives 397 days from the server's (moved) clock, not the machine's.
            Assert.True(server.CheckExpiry(TimeSpan.FromDays(400)).ServerCertificateExpiresSoon);
            Assert.False(server.CheckExpiry(TimeSpan.FromDays(390)).ServerCertificateExpiresSoon);
        }
    }
}
