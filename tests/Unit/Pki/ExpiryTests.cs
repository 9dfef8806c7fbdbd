using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

/// <summary>Short lifetimes and what the CA reports as expiring, on a clock the test moves.</summary>
public class ExpiryTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_ten_minute_certificate_is_issued_for_ten_minutes()
    {
        using var ca = new Ca(new ManualTime(Start));
        var issued = ca.Authority.IssueClient("alice", TimeSpan.FromMinutes(10));
        Assert.Equal(Start + TimeSpan.FromMinutes(10), issued.Record.NotAfter);
        Assert.True(issued.Record.NotBefore < Start, "notBefore allows for slow clocks");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(599)]
    public void A_certificate_shorter_than_ten_minutes_is_refused_and_nothing_is_stored(int seconds)
    {
        using var ca = new Ca(new ManualTime(Start));
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("alice", TimeSpan.FromSeconds(seconds)));
        Assert.Equal(ErrorIds.ValidityInvalid, e.ErrorId);
        Assert.Contains("10 minutes", e.Message, StringComparison.Ordinal);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_server_certificate_longer_than_the_leaf_maximum_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueServer([], [], TimeSpan.FromDays(CertificateAuthority.MaxLeafValidDays + 1), install: false));
        Assert.Equal(ErrorIds.ValidityInvalid, e.ErrorId);
    }

    [Fact]
    public void An_invite_shorter_than_ten_minutes_is_refused_and_one_of_ten_minutes_is_made()
    {
        using var ca = new Ca(new ManualTime(Start)).WithServer();
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.FromMinutes(9))).ErrorId);
        var (record, _) = ca.Invites.Create("alice", TimeSpan.FromMinutes(10));
        Assert.Equal(Start + TimeSpan.FromMinutes(10), record.ExpiresAt);
    }

    [Fact]
    public void Expiring_within_lists_valid_certificates_of_any_kind_that_end_inside_the_span_soonest_first()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        ca.Authority.IssueClient("year", 365);
        ca.Authority.IssueClient("brief", TimeSpan.FromMinutes(10));
        ca.Authority.IssueServer([], [], TimeSpan.FromHours(2), install: false);

        Assert.Equal(["brief"], ca.Registry.ExpiringWithin(TimeSpan.FromHours(1)).Select(r => r.Name));
        Assert.Empty(ca.Registry.ExpiringWithin(TimeSpan.FromMinutes(5)));
        var day = ca.Registry.ExpiringWithin(TimeSpan.FromDays(1));
        Assert.Equal([CertificateKind.Client, CertificateKind.Server], day.Select(r => r.Kind));
        Assert.Equal(["brief"], ca.Registry.ExpiringWithin(TimeSpan.FromDays(1), CertificateKind.Client).Select(r => r.Name));

        // Near the end of its year the long certificate is listed; past its end it is not.
        time.Advance(TimeSpan.FromDays(360));
        Assert.Equal(["year"], ca.Registry.ExpiringWithin(TimeSpan.FromDays(30)).Select(r => r.Name));
        time.Advance(TimeSpan.FromDays(10));
        Assert.Empty(ca.Registry.ExpiringWithin(TimeSpan.FromDays(30)));
    }

    [Fact]
    public void A_revoked_certificate_is_not_listed_as_expiring()
    {
        using var ca = new Ca(new ManualTime(Start));
        var brief = ca.Authority.IssueClient("brief", TimeSpan.FromMinutes(10));
        ca.Registry.Revoke(brief.Record.Serial);
        Assert.Empty(ca.Registry.ExpiringWithin(TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_negative_span_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Registry.ExpiringWithin(TimeSpan.FromDays(-1))).ErrorId);
    }

    [Fact]
    public void The_report_names_nothing_while_everything_lives_long()
    {
        using var ca = new Ca(new ManualTime(Start));
        ca.Authority.IssueClient("alice", 365);
        using var server = ca.Authority.IssueServer([], [], install: false).Certificate;
        var report = ExpiryReport.For(ca.Directory, server, Start);
        Assert.False(report.AnythingExpiresSoon);
        Assert.Null(report.Summary());
        Assert.Empty(report.UserCertificatesExpiring);
    }

    [Fact]
    public void The_report_names_the_server_certificate_the_ca_and_the_first_users_once_the_clock_nears_their_expiry()
    {
        var time = new ManualTime(Start);
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Short CA", "", validDays: 400, time: time);
        using var authority = CertificateAuthority.Open(directory, "", time);
        foreach (var name in new[] { "ann", "bob", "cat", "dan", "eve" })
        {
            authority.IssueClient(name, 365);
        }

        authority.IssueClient("later", 390);
        using var server = authority.IssueServer([], [], 397, install: false).Certificate;

        time.Advance(TimeSpan.FromDays(350));
        var users = ExpiryReport.For(directory, server, time.GetUtcNow());
        Assert.Equal(5, users.UserCertificatesExpiring.Count);
        Assert.False(users.ServerCertificateExpiresSoon);
        Assert.False(users.CaExpiresSoon);
        Assert.Contains("5 user certificate(s) (ann, bob, cat and 2 more)", users.Summary(), StringComparison.Ordinal);
        Assert.DoesNotContain("server", users.Summary(), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromDays(30));
        var all = ExpiryReport.For(directory, server, time.GetUtcNow());
        Assert.True(all.ServerCertificateExpiresSoon);
        Assert.True(all.CaExpiresSoon);
        Assert.Equal(["later"], all.UserCertificatesExpiring.Select(r => r.Name));
        var summary = all.Summary()!;
        Assert.Contains("the server's TLS certificate expires on", summary, StringComparison.Ordinal);
        Assert.Contains("the CA certificate expires on", summary, StringComparison.Ordinal);
        Assert.Contains("1 user certificate(s) (later)", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_server_certificate_is_reported_as_expired()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var server = ca.Authority.IssueServer([], [], TimeSpan.FromHours(1), install: false).Certificate;
        time.Advance(TimeSpan.FromHours(2));
        var report = ExpiryReport.For(ca.Directory, server, time.GetUtcNow());
        Assert.True(report.ServerCertificateExpiresSoon);
        Assert.Contains("the server's TLS certificate expired on", report.Summary(), StringComparison.Ordinal);
    }
}
