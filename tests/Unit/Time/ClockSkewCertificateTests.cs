using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Transport;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Time;

/// <summary>A certificate issued a moment ago, checked by a machine whose clock is off by the
/// tolerated skew: every check accepts it; one further off gets a named refusal.</summary>
public class ClockSkewCertificateTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_tolerance_is_ten_minutes_and_the_CA_backdates_by_more()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), ClockSkew.Tolerance);
        Assert.True(ClockSkew.Backdating > ClockSkew.Tolerance);
    }

    [Fact]
    public void A_start_is_tolerated_ten_minutes_ahead_and_no_further()
    {
        Assert.True(ClockSkew.HasStarted(Start, Start));
        Assert.True(ClockSkew.HasStarted(Start, Start.AddMinutes(-10)));
        Assert.False(ClockSkew.HasStarted(Start, Start.AddMinutes(-10).AddSeconds(-1)));
        Assert.True(ClockSkew.HasStarted(DateTimeOffset.MaxValue, DateTimeOffset.MaxValue));
        Assert.False(ClockSkew.HasStarted(Start, DateTimeOffset.MinValue));
        Assert.Equal(DateTimeOffset.MinValue, ClockSkew.EarliestElsewhere(DateTimeOffset.MinValue));
        Assert.Equal(Start.AddMinutes(-10), ClockSkew.EarliestElsewhere(Start));
    }

    [Fact]
    public void Every_certificate_the_CA_issues_starts_the_backdating_in_the_past_and_keeps_its_lifetime()
    {
        using var ca = new Ca(new ManualTime(Start));
        Assert.Equal(Start - ClockSkew.Backdating, new DateTimeOffset(ca.Directory.Certificate.NotBefore.ToUniversalTime()));

        using var client = ca.Authority.IssueClient("alice", TimeSpan.FromMinutes(10)).Certificate;
        Assert.Equal(Start - ClockSkew.Backdating, new DateTimeOffset(client.NotBefore.ToUniversalTime()));
        Assert.Equal(Start.AddMinutes(10), new DateTimeOffset(client.NotAfter.ToUniversalTime()));

        using var server = ca.Authority.IssueServer(["localhost"], [], TimeSpan.FromMinutes(10), replaceInstalled: true).Certificate;
        Assert.Equal(Start - ClockSkew.Backdating, new DateTimeOffset(server.NotBefore.ToUniversalTime()));
        Assert.Equal(TimeSpan.FromMinutes(10), ServerCertificateRenewal.Describe(server).Lifetime);
    }

    [Fact]
    public void A_renewed_ten_minute_server_certificate_is_again_a_ten_minute_one()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueServer(["localhost"], [], TimeSpan.FromMinutes(10), replaceInstalled: true).Certificate;
        X509Certificate2 current = first;
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(8));
            var renewed = ca.Authority.RenewServer(current).Certificate;
            Assert.Equal(time.Now.AddMinutes(10), new DateTimeOffset(renewed.NotAfter.ToUniversalTime()));
            if (!ReferenceEquals(current, first))
            {
                current.Dispose();
            }

            current = renewed;
        }

        current.Dispose();
    }

    [Theory]
    [InlineData(-10)]
    [InlineData(10)]
    public void A_client_whose_clock_is_ten_minutes_off_trusts_a_server_certificate_issued_a_moment_ago(int minutes)
    {
        using var ca = new Ca(new ManualTime(Start));
        using var server = ca.Authority.IssueServer(["localhost"], [], replaceInstalled: true).Certificate;
        var validator = Validator(ca, Start.AddMinutes(minutes));
        Assert.True(validator.ValidateHandshake(Public(server)), validator.LastRefusal);
        Assert.True(validator.Confirm(ca.Directory.Certificate), validator.LastRefusal);
    }

    [Fact]
    public void A_client_twenty_minutes_slow_refuses_a_fresh_server_certificate_with_ServerNotTrusted_and_names_its_clock()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var server = ca.Authority.IssueServer(["localhost"], [], replaceInstalled: true).Certificate;
        var validator = Validator(ca, Start.AddMinutes(-20));
        Assert.False(validator.ValidateHandshake(Public(server)));
        Assert.Equal(ErrorIds.ServerNotTrusted, validator.LastRefusalId);
        Assert.Contains("check this machine's clock", validator.LastRefusal);
    }

    [Fact]
    public void A_server_certificate_is_judged_at_the_clients_injected_clock_not_the_machines()
    {
        // Issued "next year" by the CA's clock: the machine's clock would call it not yet valid.
        var later = DateTimeOffset.UtcNow.AddDays(400);
        using var ca = new Ca(new ManualTime(later));
        using var server = ca.Authority.IssueServer(["localhost"], [], replaceInstalled: true).Certificate;
        var validator = Validator(ca, later.AddMinutes(-10));
        Assert.True(validator.ValidateHandshake(Public(server)), validator.LastRefusal);
        Assert.True(validator.Confirm(ca.Directory.Certificate), validator.LastRefusal);
    }

    [Theory]
    [InlineData(-10)]
    [InlineData(10)]
    public void A_certificate_file_issued_a_moment_ago_registers_on_a_clock_ten_minutes_off(int minutes)
    {
        using var ca = new Ca(new ManualTime(Start));
        using var issued = ca.Authority.IssueClient("alice").Certificate;
        using var key = issued.GetECDsaPrivateKey()!;
        Assert.Equal("alice", CertificateRegistration.Verify(Public(issued), key, ca.Directory.Certificate, Start.AddMinutes(minutes)));
    }

    [Fact]
    public void A_certificate_file_checked_on_a_clock_twenty_minutes_slow_is_refused_as_not_valid_now()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var issued = ca.Authority.IssueClient("alice").Certificate;
        using var key = issued.GetECDsaPrivateKey()!;
        var e = Assert.Throws<OpenChatException>(() => CertificateRegistration.Verify(Public(issued), key, ca.Directory.Certificate, Start.AddMinutes(-20)));
        Assert.Equal(ErrorIds.CertificateExpired, e.ErrorId);
    }

    [Fact]
    public void A_member_certificate_starting_within_the_tolerance_may_speak_and_one_beyond_it_may_not()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var issued = ca.Authority.IssueClient("alice").Certificate;
        var verifier = new MemberVerifier(ca.Directory.Certificate);
        var notBefore = new DateTimeOffset(issued.NotBefore.ToUniversalTime());
        Assert.Null(verifier.Check(issued, notBefore - ClockSkew.Tolerance));
        Assert.Equal(RejectReason.CertificateOutsideValidity, verifier.Check(issued, notBefore - ClockSkew.Tolerance - TimeSpan.FromSeconds(1))?.Code);
        // The end is never stretched.
        var notAfter = new DateTimeOffset(issued.NotAfter.ToUniversalTime());
        Assert.Equal(RejectReason.CertificateOutsideValidity, verifier.Check(issued, notAfter.AddSeconds(1))?.Code);
    }

    private static ServerCertificateValidator Validator(Ca ca, DateTimeOffset clientNow) =>
        new(SHA256.HashData(ca.Directory.Certificate.RawData), "localhost", ca.Directory.Certificate, time: new ManualTime(clientNow));

    private static X509Certificate2 Public(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);
}
