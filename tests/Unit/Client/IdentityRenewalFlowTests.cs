using System.Security.Cryptography;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Renewal through the real paths end to end: the live renewal over a chatting session
/// (the server rebinds the connection and the session takes its own place in the room), and the
/// move to a new key by IdentityRenewal (what Update-ChatIdentity -NewKey runs), including a move
/// cut short after it was staged.</summary>
public sealed class IdentityRenewalFlowTests
{
    private const string Room = TwoChatting.Room;

    [Fact]
    public async Task A_live_renewal_keeps_the_session_chatting_under_the_new_serial_and_bob_sees_nothing()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        await using (alice)
        {
            var previous = alice.DeviceSerial;
            TwoChatting.Drain(bob, m => m.IsNotice);
            using var renewed = await alice.Client.RenewCertificateAsync();

            Assert.NotEqual(previous, renewed.SerialNumber);
            await Eventually.TrueAsync(() => string.Equals(alice.DeviceSerial, renewed.SerialNumber, StringComparison.OrdinalIgnoreCase),
                "the session switched to the renewed certificate");
            await Eventually.TrueAsync(() => bob.GroupMemberSerials(Room).Contains(renewed.SerialNumber, StringComparer.OrdinalIgnoreCase),
                "bob's group lists alice's renewed certificate");
            await TwoChatting.BothWaysAsync(alice, bob, "after the live renewal");

            Assert.DoesNotContain(previous, bob.GroupMemberSerials(Room), StringComparer.OrdinalIgnoreCase);
            Assert.Empty(TwoChatting.Drain(bob, m => m.IsNotice));
            var contact = Assert.Single(bob.Contacts());
            Assert.Equal(ContactTrust.Verified, contact.Trust);
            Assert.Null(contact.KeyRenewedAt);
            using var stored = profile.LoadPublicCertificate();
            Assert.Equal(renewed.SerialNumber, stored.SerialNumber);
        }
    }

    [Fact]
    public async Task A_move_to_a_new_key_is_renewed_its_key_for_bob_and_keeps_alices_history()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var previousFingerprint = alice.OwnFingerprint;
            await alice.DisposeAsync();

            using var renewed = await IdentityRenewal.RenewWithNewKeyAsync(profile, "".AsMemory());

            Assert.NotNull(profile.LoadHandover());
            await using var again = await h.SecureAsync(profile);
            Assert.NotEqual(previousFingerprint, again.OwnFingerprint);
            var notice = await SecureHarness.NoticeAsync(bob, n => n is KeyRenewedNotice);
            Assert.Equal("alice", ((KeyRenewedNotice)notice.Notice!).UserName);
            await TwoChatting.BothWaysAsync(again, bob, "under the new key");
            var contact = Assert.Single(bob.Contacts());
            Assert.Equal(ContactTrust.Verified, contact.Trust);
            Assert.Equal([previousFingerprint], contact.ReplacedDevices);
            Assert.Contains(again.GetHistory(new HistoryQuery { Room = Room }), m => m.Text == "before");
            var records = new CertificateRegistry(new CaDirectory(h.DataPath)).Find(userName: "alice");
            Assert.Contains(records, r => string.Equals(r.Serial, renewed.SerialNumber, StringComparison.OrdinalIgnoreCase) && r.RenewedFrom is not null);
        }
    }

    [Fact]
    public async Task A_move_cut_short_after_it_was_staged_is_finished_by_the_next_open()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            await alice.DisposeAsync();
            using var ca = CertificateAuthority.Open(new CaDirectory(h.DataPath), "");
            var keyPath = Path.Combine(profile.Path, ChatProfile.KeyFile);
            using var currentKey = CaKeyFile.Import(File.ReadAllText(keyPath), "");
            using var current = profile.LoadPublicCertificate();
            using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=alice", nextKey, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            using var renewed = ca.SignRequest(csr, "alice", additionalDevice: true).Certificate;
            // As if the process died right after staging: the new files sit beside the old ones.
            profile.StageKeyMove(renewed, nextKey, KeyHandover.Create(current, currentKey, nextKey, DateTimeOffset.UtcNow), "");

            await using var again = await h.SecureAsync(profile);

            Assert.False(File.Exists(keyPath + ".next"));
            Assert.Equal(nextKey.ExportSubjectPublicKeyInfo(), CaKeyFile.Import(File.ReadAllText(keyPath), "").ExportSubjectPublicKeyInfo());
            Assert.Contains(again.GetHistory(new HistoryQuery { Room = Room }), m => m.Text == "before");
            await SecureHarness.NoticeAsync(bob, n => n is KeyRenewedNotice);
            await TwoChatting.BothWaysAsync(again, bob, "after the finished move");
        }
    }

    [Fact]
    public async Task A_move_cut_short_before_its_key_was_staged_is_dropped_and_the_identity_opens_as_it_was()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        using var before = profile.LoadPublicCertificate();
        var certificatePath = Path.Combine(profile.Path, ChatProfile.CertificateFile);
        // As if the process died while staging: the certificate written beside, no key yet.
        File.WriteAllText(certificatePath + ".next", "half a move");

        using var identity = profile.LoadIdentity("");

        Assert.Equal(before.SerialNumber, identity.SerialNumber);
        Assert.False(File.Exists(certificatePath + ".next"));
        await using var client = await h.ConnectAsync(profile);
    }

    [Fact]
    public async Task A_re_enrollment_drops_pinned_rollover_roots_that_do_not_include_the_invites_ca()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var roots = Path.Combine(profile.Path, PinnedRoots.RootsFile);
        using var ca = profile.LoadCaCertificate();
        using var certificate = profile.LoadPublicCertificate();
        using var foreign = new Ca();

        File.WriteAllText(roots, ca.ExportCertificatePem() + "\n" + foreign.Directory.Certificate.ExportCertificatePem() + "\n");
        profile.Reenrolled(profile.Server, ca, certificate);
        Assert.True(File.Exists(roots), "roots that include the invite's CA are kept");

        File.WriteAllText(roots, foreign.Directory.Certificate.ExportCertificatePem());
        profile.Reenrolled(profile.Server, ca, certificate);
        Assert.False(File.Exists(roots), "roots without the invite's CA are dropped");
        Assert.Equal(ca.RawData, Assert.Single(PinnedRoots.Load(profile, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Live()).RawData);
    }

    [Fact]
    public async Task An_expired_certificate_cannot_move_to_a_new_key()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        using var certificate = profile.LoadPublicCertificate();
        var late = new ManualTime(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).AddMinutes(1));

        var e = await Assert.ThrowsAsync<OpenChatException>(() =>
            IdentityRenewal.RenewWithNewKeyAsync(profile, "".AsMemory(), new ChatClientOptions { Time = late }));

        Assert.Equal(ErrorIds.CertificateExpired, e.ErrorId);
        Assert.False(File.Exists(Path.Combine(profile.Path, ChatProfile.HandoverFile)));
    }
}
