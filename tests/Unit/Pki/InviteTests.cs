using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class InviteTests
{
    [Fact]
    public void Invite_carries_server_fingerprint_server_key_id_user_and_secret()
    {
        using var ca = new Ca().WithServer();
        var (record, code) = ca.Invites.Create("alice", server: "chat.example.org:9000");
        var parsed = InviteCode.Parse(code.ToString());
        Assert.Equal("chat.example.org:9000", parsed.Server);
        Assert.Equal(ca.Directory.Fingerprint, parsed.CaFingerprint);
        using var serverCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(ca.Directory.ServerCertificatePath));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(serverCertificate.PublicKey.ExportSubjectPublicKeyInfo()), parsed.ServerKeyPin);
        Assert.Equal(record.Id, parsed.Id);
        Assert.Equal("alice", parsed.UserName);
        Assert.Equal(InviteCode.SecretLength, parsed.Secret.Length);
        Assert.StartsWith(InviteCode.Prefix, code.ToString());
    }

    [Fact]
    public void Only_a_verifier_of_the_secret_is_stored()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var stored = ca.Directory.Store.GetInvite(code.Id)!;
        Assert.Equal(InviteProof.Verifier(code.Secret, code.Id), stored.Verifier);
        var database = File.ReadAllBytes(ca.Directory.StorePath).Concat(ReadIfExists(ca.Directory.StorePath + "-wal")).ToArray();
        Assert.False(Contains(database, code.Secret), "raw secret found in the store");
        Assert.True(Contains(database, stored.Verifier), "the verifier should be in the store (control)");
        Assert.True(Contains(database, System.Text.Encoding.UTF8.GetBytes(code.Id)), "the id should be in the store (control)");
    }

    [Theory]
    [InlineData("", "not an OpenChat invite")]
    [InlineData("https://example.org/invite", "not an OpenChat invite")]
    [InlineData("ocinvite2.", "truncated or damaged")]
    [InlineData("ocinvite2.!!!", "truncated or damaged")]
    [InlineData("ocinvite2.e30", "truncated or damaged")] // {}
    [InlineData("ocinv", "truncated or damaged")]
    public void Malformed_invites_are_refused(string text, string says)
    {
        var e = Assert.Throws<OpenChatException>(() => InviteCode.Parse(text));
        Assert.Equal(ErrorIds.InviteMalformed, e.ErrorId);
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_invite_is_called_truncated_not_foreign()
    {
        using var ca = new Ca().WithServer();
        var text = ca.Invites.Create("alice").Code.ToString();
        foreach (var cut in new[] { text.Length - 1, text.Length - 7, text.Length / 2, InviteCode.Prefix.Length + 3 })
        {
            var e = Assert.Throws<OpenChatException>(() => InviteCode.Parse(text[..cut]));
            Assert.Equal(ErrorIds.InviteMalformed, e.ErrorId);
            Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("not an OpenChat invite", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_invite_of_the_old_format_is_refused_with_its_own_reason()
    {
        // The format-1 invite carried the secret to be sent and no server key.
        var e = Assert.Throws<OpenChatException>(() => InviteCode.Parse("ocinvite1.eyJzIjoibG9jYWxob3N0Ojc0NDMifQ"));
        Assert.Equal(ErrorIds.InviteOutdated, e.ErrorId);
        Assert.Contains("new invite", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invite_needs_an_installed_server_certificate()
    {
        using var ca = new Ca();
        var e = Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice"));
        Assert.Equal(ErrorIds.ServerCertificateMissing, e.ErrorId);
        Assert.Empty(ca.Invites.Find());
    }

    [Fact]
    public void A_proof_made_for_another_connection_is_refused_and_leaves_the_invite_usable()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var csr = Requests.EcP256("CN=alice");
        var claim = EnrollmentClaim.Prove(code, csr, Ca.ConnectionCertificateHash, Ca.ConnectionNonce);

        // Replayed on a connection whose server sent another nonce.
        var otherNonce = new byte[InviteProof.NonceLength];
        var replayed = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(claim, Ca.ConnectionCertificateHash, otherNonce));
        Assert.Equal(ErrorIds.InviteSecretWrong, replayed.ErrorId);

        // Relayed by someone presenting another server certificate.
        var otherCertificate = System.Security.Cryptography.SHA256.HashData("another server"u8);
        var relayed = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(claim, otherCertificate, Ca.ConnectionNonce));
        Assert.Equal(ErrorIds.InviteSecretWrong, relayed.ErrorId);

        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
        Assert.Equal(InviteStatus.Pending, ca.Invites.Find().Single().StatusAt(DateTimeOffset.UtcNow));
        ca.Authority.Enroll(claim, Ca.ConnectionCertificateHash, Ca.ConnectionNonce);
    }

    [Fact]
    public void A_proof_cannot_be_reused_for_another_certificate_request()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var claim = EnrollmentClaim.Prove(code, Requests.EcP256("CN=alice"), Ca.ConnectionCertificateHash, Ca.ConnectionNonce);
        var thief = claim with { CertificateRequest = Requests.EcP256("CN=alice") };
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(thief, Ca.ConnectionCertificateHash, Ca.ConnectionNonce));
        Assert.Equal(ErrorIds.InviteSecretWrong, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void Enrollment_redeems_an_invite_exactly_once()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var issued = ca.Enroll(code, Requests.EcP256("CN=alice"));
        Assert.Equal("alice", issued.Record.Name);
        Assert.Equal(InviteStatus.Redeemed, ca.Invites.Find("alice").Single().StatusAt(DateTimeOffset.UtcNow));

        var again = Assert.Throws<OpenChatException>(() => ca.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteAlreadyRedeemed, again.ErrorId);
        Assert.Single(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void Concurrent_redemptions_issue_one_certificate()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var csrs = Enumerable.Range(0, 8).Select(_ => Requests.EcP256("CN=alice")).ToArray();
        var outcomes = new string[csrs.Length];
        Parallel.For(0, csrs.Length, i =>
        {
            try
            {
                ca.Enroll(code, csrs[i]);
                outcomes[i] = "ok";
            }
            catch (OpenChatException e)
            {
                outcomes[i] = e.ErrorId;
            }
        });
        Assert.Equal(1, outcomes.Count(o => o == "ok"));
        Assert.Single(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void Expired_invite_is_refused()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var ca = new Ca(time).WithServer();
        var (_, code) = ca.Invites.Create("alice", TimeSpan.FromHours(1));
        time.Advance(TimeSpan.FromHours(1));
        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteExpired, e.ErrorId);
        Assert.Equal(InviteStatus.Expired, ca.Invites.Find().Single().StatusAt(time.Now));
        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void Revoked_invite_is_refused()
    {
        using var ca = new Ca().WithServer();
        var (record, code) = ca.Invites.Create("alice");
        ca.Invites.Revoke(record.Id);
        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteRevoked, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void Wrong_secret_is_refused_and_leaves_the_invite_usable()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var forged = code with { Secret = new byte[InviteCode.SecretLength] };
        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(forged, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteSecretWrong, e.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationFailed, e.Kind);
        ca.Enroll(code, Requests.EcP256("CN=alice"));
    }

    [Fact]
    public void Invite_for_another_ca_is_unknown()
    {
        using var ca = new Ca().WithServer();
        using var other = new Ca().WithServer();
        var (_, code) = other.Invites.Create("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(code, Requests.EcP256("CN=alice")));
        Assert.Equal(ErrorIds.InviteNotFound, e.ErrorId);
    }

    [Fact]
    public void Changing_the_user_in_an_invite_is_refused()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(code with { UserName = "mallory" }, Requests.EcP256("CN=mallory")));
        Assert.Equal(ErrorIds.InviteUserMismatch, e.ErrorId);
        Assert.Empty(ca.Directory.Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public void A_request_that_breaks_policy_does_not_use_up_the_invite()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice");
        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(code, Requests.EcP256("CN=mallory")));
        Assert.Equal(ErrorIds.CsrSubjectMismatch, e.ErrorId);
        Assert.Equal(InviteStatus.Pending, ca.Invites.Find().Single().StatusAt(DateTimeOffset.UtcNow));
        ca.Enroll(code, Requests.EcP256("CN=alice"));
    }

    [Fact]
    public void Invites_for_taken_reserved_or_invalid_names_are_refused()
    {
        using var ca = new Ca().WithServer();
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
        using var ca = new Ca().WithServer();
        var e = Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", server: server));
        Assert.Equal(ErrorIds.ServerAddressInvalid, e.ErrorId);
    }

    [Theory]
    [InlineData("chat.example.org", "chat.example.org:7443")]
    [InlineData("10.0.0.5:9000", "10.0.0.5:9000")]
    [InlineData("[::1]:9000", "[::1]:9000")]
    public void Server_addresses_are_normalized(string server, string expected)
    {
        using var ca = new Ca().WithServer();
        Assert.Equal(expected, ca.Invites.Create("alice", server: server).Record.Server);
    }

    [Fact]
    public void Validity_must_be_positive_and_bounded()
    {
        using var ca = new Ca().WithServer();
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.Zero)).ErrorId);
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.FromTicks(3))).ErrorId);
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", TimeSpan.FromDays(91))).ErrorId);
    }

    private static byte[] ReadIfExists(string path) => File.Exists(path) ? File.ReadAllBytes(path) : [];

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [Fact]
    public void An_invite_whose_user_was_given_a_certificate_meanwhile_is_refused_as_name_taken_and_stays_pending()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("carol");
        ca.Authority.IssueClient("carol").Certificate.Dispose();
        var claim = EnrollmentClaim.Prove(code, Requests.EcP256("CN=carol"), Ca.ConnectionCertificateHash, Ca.ConnectionNonce);

        var e = Assert.Throws<OpenChatException>(() => ca.Authority.Enroll(claim, Ca.ConnectionCertificateHash, Ca.ConnectionNonce));

        Assert.Equal(ErrorIds.UserNameTaken, e.ErrorId);
        Assert.Equal(InviteStatus.Pending, ca.Invites.Find().Single().StatusAt(DateTimeOffset.UtcNow));
    }

    [Fact]
    public void An_invite_redeemed_since_it_was_checked_is_refused_as_redeemed_on_a_second_look()
    {
        // What the loser of two redemptions at once (two nodes) meets: its first check passed,
        // the other redemption went through, and the name is now taken; it is told the invite was used.
        using var ca = new Ca().WithServer();
        var (record, _) = ca.Invites.Create("carol");
        ca.Invites.CheckStillPending(record);
        Assert.True(ca.Directory.Store.TryRedeemInvite(record.Id, DateTimeOffset.UtcNow));

        var e = Assert.Throws<OpenChatException>(() => ca.Invites.CheckStillPending(record));

        Assert.Equal(ErrorIds.InviteAlreadyRedeemed, e.ErrorId);
    }
}
