using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

/// <summary>A name that reads like another user's is refused wherever a name is taken, and
/// nothing is stored; the same name again (in any case) is the same person, never a look-alike.</summary>
public class LookalikeNameTests
{
    public static TheoryData<string, string> Lookalikes => new()
    {
        { "alice", "aIice" },
        { "alice", "a1ice" },
        { "alice", "al1ce" },
        { "bob", "b0b" },
        { "mallory", "rnallory" },
        { "clara", "c1ara" },
        { "wendy", "vvendy" },
        { "a1ice", "alice" },
    };

    [Theory]
    [MemberData(nameof(Lookalikes))]
    public void A_look_alike_of_a_user_is_refused_at_issuance(string existing, string lookalike)
    {
        using var ca = new Ca();
        ca.Authority.IssueClient(existing).Certificate.Dispose();

        var e = Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient(lookalike));

        AssertConfusable(e, existing);
        Assert.Single(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Theory]
    [MemberData(nameof(Lookalikes))]
    public void A_look_alike_of_a_user_is_refused_for_a_certificate_request(string existing, string lookalike)
    {
        using var ca = new Ca();
        ca.Authority.IssueClient(existing).Certificate.Dispose();

        var e = Assert.Throws<OpenChatException>(() => ca.Authority.SignRequest(Requests.EcP256("CN=" + lookalike), lookalike, additionalDevice: true));

        AssertConfusable(e, existing);
        Assert.Single(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Theory]
    [MemberData(nameof(Lookalikes))]
    public void A_look_alike_of_a_user_is_refused_at_invitation(string existing, string lookalike)
    {
        using var ca = new Ca().WithServer();
        ca.Authority.IssueClient(existing).Certificate.Dispose();

        var e = Assert.Throws<OpenChatException>(() => ca.Invites.Create(lookalike));

        AssertConfusable(e, existing);
        Assert.Empty(ca.Directory.Store.FindInvites());
    }

    [Fact]
    public void A_pending_invite_holds_its_names_look()
    {
        using var ca = new Ca().WithServer();
        ca.Invites.Create("bob");

        AssertConfusable(Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("b0b")), "bob");
        AssertConfusable(Assert.Throws<OpenChatException>(() => ca.Invites.Create("B0B")), "bob");
        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
        Assert.Single(ca.Directory.Store.FindInvites());
    }

    [Fact]
    public void A_revoked_certificate_or_cancelled_invite_releases_the_look()
    {
        using var ca = new Ca().WithServer();
        var typo = ca.Authority.IssueClient("a1ice");
        ca.Registry.Revoke(typo.Record.Serial);
        var invite = ca.Invites.Create("b0b");
        ca.Invites.Revoke(invite.Record.Id);

        ca.Authority.IssueClient("alice").Certificate.Dispose();
        ca.Invites.Create("bob");
    }

    [Fact]
    public void An_expired_certificate_still_holds_its_names_look()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var ca = new Ca(time);
        ca.Authority.IssueClient("mallory", TimeSpan.FromDays(1)).Certificate.Dispose();
        time.Advance(TimeSpan.FromDays(3));

        AssertConfusable(Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("rnallory")), "mallory");
    }

    [Theory]
    [InlineData("alice", "alicia")]
    [InlineData("bob", "bobby")]
    [InlineData("mallory", "malory")]
    [InlineData("clara", "claire")]
    public void Names_that_only_look_different_are_accepted(string existing, string other)
    {
        using var ca = new Ca().WithServer();
        ca.Authority.IssueClient(existing).Certificate.Dispose();

        ca.Authority.IssueClient(other).Certificate.Dispose();
        ca.Invites.Create(other, additionalDevice: true);
    }

    [Fact]
    public void The_same_name_in_another_case_is_the_same_user_not_a_look_alike()
    {
        using var ca = new Ca().WithServer();
        ca.Authority.IssueClient("alice").Certificate.Dispose();

        // Without -AdditionalDevice it is the existing rule that answers: the name is taken.
        Assert.Equal(ErrorIds.UserNameTaken, Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("ALICE")).ErrorId);
        ca.Authority.IssueClient("Alice", additionalDevice: true).Certificate.Dispose();
        ca.Authority.SignRequest(Requests.EcP256("CN=alice"), "alice", additionalDevice: true).Certificate.Dispose();
        var (_, code) = ca.Invites.Create("alice", additionalDevice: true);
        ca.Enroll(code, Requests.EcP256("CN=alice")).Certificate.Dispose();

        Assert.Equal(4, ca.Directory.Store.FindCertificates(CertificateKind.Client).Count);
    }

    [Fact]
    public void A_user_name_that_reads_like_a_server_name_is_refused()
    {
        using var ca = new Ca();
        ca.Authority.IssueServer(["chathost"], [], install: false).Certificate.Dispose();

        AssertConfusable(Assert.Throws<OpenChatException>(() => ca.Authority.IssueClient("chath0st")), "chathost");
        AssertConfusable(Assert.Throws<OpenChatException>(() => ca.Invites.Create("CHATH0ST")), "chathost");
        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void The_store_refuses_a_look_alike_in_the_transaction_that_would_store_it()
    {
        using var ca = new Ca();
        var store = ca.Directory.Store;
        var now = DateTimeOffset.UtcNow;
        store.AddCertificate(new CertificateRecord("AA", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), true, now);

        // Straight to the store, past every early check: its own transaction still says no.
        var certificate = Assert.Throws<OpenChatException>(() =>
            store.AddCertificate(new CertificateRecord("BB", CertificateKind.Client, "a1ice", "t", now, now.AddDays(1), now, [1]), false, now));
        var invite = Assert.Throws<OpenChatException>(() =>
            store.AddInvite(new InviteRecord("i1", "aIice", [1], "localhost:7443", now, now.AddDays(1), false)));

        AssertConfusable(certificate, "alice");
        AssertConfusable(invite, "alice");
        Assert.Single(store.FindCertificates());
        Assert.Empty(store.FindInvites());
        Assert.Equal("alice", store.LookalikeOf("al1ce", now));
        Assert.Null(store.LookalikeOf("alice", now));
    }

    private static void AssertConfusable(OpenChatException e, string existing)
    {
        Assert.Equal(ErrorIds.UserNameConfusable, e.ErrorId);
        Assert.Contains($"'{existing}'", e.Message);
    }
}
