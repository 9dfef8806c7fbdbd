using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class InviteTests
{
    [Fact]
    public void Invite_carries_server_fingerprint_id_user_and_secret()
    {
        using var ca = new Ca();
        var (record, code) = ca.Invites.Create("alice", server: "chat.example.org:9000");
        var parsed = InviteCode.Parse(code.ToString());
        Assert.Equal("chat.example.org:9000", parsed.Server);
        Assert.Equal(ca.Directory.Fingerprint, parsed.CaFingerprint);
        Assert.Equal(record.Id, parsed.Id);
        Assert.Equal("alice", parsed.UserName);
        Assert.Equal(InviteCode.SecretLength, parsed.Secret.Length);
        Assert.StartsWith(InviteCode.Prefix, code.ToString());
    }

    [Fact]
    public void Only_a_hash_of_the_secret_is_stored()
    {
        using var ca = new Ca();
        var (_, code) = ca.Invites.Create("alice");
        var stored = ca.Directory.Store.GetInvite(code.Id)!;
        Assert.Equal(InviteCode.HashSecret(code.Secret), stored.SecretHash);
        var database = File.ReadAllBytes(ca.Directory.StorePath).Concat(ReadIfExists(ca.Directory.StorePath + "-wal")).ToArray();
        Assert.False(Contains(database, code.Secret), "raw secret found in the store");
        Assert.True(Contains(database, System.Text.Encoding.UTF8.GetBytes(code.Id)), "the id should be in the store (control)");
    }

    [Theory]
    [InlineData("")]
    [InlineData("ocinvite1.")]
    [InlineData("ocinvite1.!!!")]
    [InlineData("ocinvite1.e30")] // {}
    [InlineData("https://example.org/invite")]
    public void Malformed_invites_are_refused(string text)
    {
        var e = Assert.Throws<OpenChatException>(() => InviteCode.Parse(text));
        Assert.Equal(ErrorIds.InviteMalformed, e.ErrorId);
    }

    [Fact]
    public void Enrollment_redeems_an_invite_exactly_once()
    {
        using var ca = new Ca();
        var (_, code) = ca.Invites.Create("alice");
        var issued = ca.Authority.Enroll(code, Requests.EcP256("CN=alice"));
        Assert.Equal("alice", issued.Record.Name);
        Assert.Equal(InviteStatus.Redeemed, ca.Invites.Find("alice").Single().StatusAt(DateTimeOffset.UtcNow));

        var again = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteAlreadyRedeemed, again.ErrorId);
        Assert.Single(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void Concurrent_redemptions_issue_one_certificate()
    {
        using var ca = new Ca();
        var (_, code) = ca.Invites.Create("alice");
        var csrs = Enumerable.Range(0, 8).Select(_ => Requests.EcP256("CN=alice")).ToArray();
        var outcomes = new string[csrs.Length];
        Parallel.For(0, csrs.Length, i =>
        {
            try
            {
                ca.Authority.Enroll(code, csrs[i]);
                outcomes[i] = "ok";
            }
            catch (OpenChatException e)
            {
                outcomes[i] = e.ErrorId;
            }
        });
        Assert.Equal(1, outcomes.Count(o => o == "ok"));
        Assert.Single(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void Expired_invite_is_refused()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var ca = new Ca(time);
        var (_, code) = ca.Invites.Create("alice", TimeSpan.FromHours(1));
        time.Advance(TimeSpan.FromHours(1));
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteExpired, e.ErrorId);
        Assert.Equal(InviteStatus.Expired, ca.Invites.Find().Single().StatusAt(time.Now));
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void Revoked_invite_is_refused()
    {
        using var ca = new Ca();
        var (record, code) = ca.Invites.Create("alice");
        ca.Invites.Revoke(record.Id);
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteRevoked, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void Wrong_secret_is_refused_and_leaves_the_invite_usable()
    {
        using var ca = new Ca();
        var (_, code) = ca.Invites.Create("alice");
        var forged = code with { Secret = new byte[InviteCode.SecretLength] };
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(forged, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteSecretWrong, e.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationFailed, e.Kind);
        ca.Authority.Enroll(code, Requests.EcP256("CN=alice"));
    }

    [Fact]
    public void Invite_for_another_ca_is_unknown()
    {
        using var ca = new Ca();
        using var other = new Ca();
        var (_, code) = other.Invites.Create("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteNotFound, e.ErrorId);
    }

    [Fact]
    public void Changing_the_user_in_an_invite_is_refused()
    {
        using var ca = new Ca();
        var (_, code) = ca.Invites.Create("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(code with { UserName = "mallory" }, Requests.EcP256("CN=mallory")));
        Assert.Equal(ErrorIds.InviteUserMismatch, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_request_that_breaks_policy_does_not_use_up_the_invite()
    {
        using var ca = new Ca();
        var (_, code) = ca.Invites.Create("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(code, Requests.EcP256("CN=mallory")));
        Assert.Equal(ErrorIds.CsrSubjectMismatch, e.ErrorId);
        Assert.Equal(InviteStatus.Pending, ca.Invites.Find().Single().StatusAt(DateTimeOffset.UtcNow));
        ca.Authority.Enroll(code, Requests.EcP256("CN=alice"));
    }

    [Fact]
    public void Invites_for_taken_reserved_or_invalid_names_are_refused()
    {
        using var ca = new Ca();
        ca.Authority.IssueClient("alice");
        Assert.Equal(ErrorIds.UserNameTaken, Assert.Throws<OpenChatException>(() => ca.Invites.Create("Alice")).ErrorId);
        Assert.Equal(ErrorIds.UserNameReserved, Assert.Throws<OpenChatException>(() => ca.Invites.Create("root")).ErrorId);
        Assert.Equal(ErrorIds.UserNameInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("a b")).ErrorId);
        Assert.Empty(ca.Invites.Find());
        ca.Invites.Create("alice", additionalDevice: true);
    }

    [Theory]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("::1:7443")]
    [InlineData("bad host:7443")]
    [InlineData("[not-an-ip]:7443")]
    public void Bad_server_addresses_are_refused(string server)
    {
        using var ca = new Ca();
        var e = Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", server: server));
        Assert.Equal(ErrorIds.ServerAddressInvalid, e.ErrorId);
    }

    [Theory]
    [InlineData("chat.example.org", "chat.example.org:7443")]
    [InlineData("10.0.0.5:9000", "10.0.0.5:9000")]
    [InlineData("[::1]:9000", "[::1]:9000")]
    public void Server_addresses_are_normalized(string server, string expected)
    {
        using var ca = new Ca();
        Assert.Equal(expected, ca.Invites.Create("alice", server: server).Record.Server);
    }

    [Fact]
    public void Validity_must_be_positive_and_bounded()
    {
        using var ca = new Ca();
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.Zero)).ErrorId);
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.FromTicks(3))).ErrorId);
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.FromDays(91))).ErrorId);
    }

    private static byte[] ReadIfExists(string path) => File.Exists(path) ? File.ReadAllBytes(path) : [];

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
