using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenChat.Engine.Client;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Client;

/// <summary>A renewed device certificate between two users chatting through a real server: the
/// renewed device takes its own place in the room (a Renew commit), contacts see nothing for a
/// kept key and a calm "renewed its key" for a handed-over one, and the loud key change stays for
/// a key nobody vouched for. The renewal itself is done here as the CA would (helper A's
/// Update-ChatIdentity does it for users): a certificate signed for the profile's key, or a new
/// key with the profile's handover, written into the profile while no session is open.</summary>
public sealed class CertificateRenewalSessionTests
{
    private const string Room = TwoChatting.Room;

    // What a renewal leaves in a profile: a certificate of the CA for the same key, or for a new
    // key (the end-to-end files moved to it, and a handover from the old key when asked).
    private static string RenewInProfile(ChatHarness h, ChatProfile profile, bool newKey = false, bool handover = true)
    {
        using var ca = CertificateAuthority.Open(new CaDirectory(h.DataPath), "");
        var keyPath = Path.Combine(profile.Path, ChatProfile.KeyFile);
        using var currentKey = CaKeyFile.Import(File.ReadAllText(keyPath), "");
        using var current = profile.LoadPublicCertificate();
        using var fresh = newKey ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var key = fresh ?? currentKey;
        var csr = new CertificateRequest($"CN={profile.UserName}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var renewed = ca.SignRequest(csr, profile.UserName, additionalDevice: true).Certificate;
        if (fresh is not null)
        {
            if (handover)
            {
                profile.SaveHandover(KeyHandover.Create(current, currentKey, fresh, DateTimeOffset.UtcNow));
            }

            DeviceKeyMove.Move(profile.Path, currentKey, fresh);
            File.WriteAllText(keyPath, CaKeyFile.Export(fresh, ""));
        }

        File.WriteAllText(Path.Combine(profile.Path, ChatProfile.CertificateFile), renewed.ExportCertificatePem());
        return renewed.SerialNumber;
    }

    [Fact]
    public async Task A_same_key_renewal_while_offline_renews_her_place_and_bob_sees_nothing()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var previous = alice.DeviceSerial;
            await alice.DisposeAsync();
            TwoChatting.Drain(bob, m => m.IsNotice);
            var renewed = RenewInProfile(h, profile);

            await using var again = await h.SecureAsync(profile);
            Assert.Equal(renewed, again.DeviceSerial);
            await Eventually.TrueAsync(() => bob.GroupMemberSerials(Room).Contains(renewed, StringComparer.OrdinalIgnoreCase),
                "bob's group lists alice's renewed certificate");
            await TwoChatting.BothWaysAsync(again, bob, "after the renewal");

            Assert.DoesNotContain(previous, bob.GroupMemberSerials(Room), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(2, bob.GroupMemberSerials(Room).Count);
            Assert.Empty(TwoChatting.Drain(bob, m => m.IsNotice));
            var contact = Assert.Single(bob.Contacts());
            Assert.Equal(ContactTrust.Verified, contact.Trust);
            Assert.Single(contact.Devices);
            Assert.Null(contact.KeyRenewedAt);
        }
    }

    [Fact]
    public async Task A_message_queued_as_the_renewed_session_opens_waits_for_the_renewal_and_goes_under_the_new_certificate()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            await alice.DisposeAsync();
            var renewed = RenewInProfile(h, profile);

            await using var again = await h.SecureAsync(profile);
            var queued = again.Queue(Room, "queued at once");
            await queued.Delivered.WaitAsync(TimeSpan.FromSeconds(20));

            var received = await SecureHarness.NextWithTextAsync(bob, "queued at once");
            Assert.True(received.Verified);
            Assert.Equal(renewed, received.SenderSerial, StringComparer.OrdinalIgnoreCase);
            Assert.Empty(TwoChatting.Drain(bob, m => !m.Verified));
        }
    }

    [Fact]
    public async Task A_new_key_with_a_handover_is_renewed_its_key_for_bob_and_stays_verified()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var previous = alice.DeviceSerial;
            var previousFingerprint = alice.OwnFingerprint;
            await alice.DisposeAsync();
            var renewed = RenewInProfile(h, profile, newKey: true);

            await using var again = await h.SecureAsync(profile);
            var notice = await SecureHarness.NoticeAsync(bob, n => n is KeyRenewedNotice);
            Assert.Equal("alice", ((KeyRenewedNotice)notice.Notice!).UserName);
            await Eventually.TrueAsync(() => bob.GroupMemberSerials(Room).Contains(renewed, StringComparer.OrdinalIgnoreCase),
                "bob's group lists alice's renewed certificate");
            await TwoChatting.BothWaysAsync(again, bob, "under the new key");

            Assert.DoesNotContain(previous, bob.GroupMemberSerials(Room), StringComparer.OrdinalIgnoreCase);
            var contact = Assert.Single(bob.Contacts());
            Assert.Equal(ContactTrust.Verified, contact.Trust);
            Assert.Equal([again.OwnFingerprint], contact.Devices);
            Assert.Equal([previousFingerprint], contact.ReplacedDevices);
            Assert.NotNull(contact.KeyRenewedAt);
            // Her history moved to the new key with her.
            Assert.Contains(again.GetHistory(new HistoryQuery { Room = Room }), m => m.Text == "before");
        }
    }

    [Fact]
    public async Task A_new_key_without_a_handover_is_the_loud_key_change()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var changed = new TaskCompletionSource<ContactRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
            bob.ContactChanged += (_, contact) => changed.TrySetResult(contact);
            await alice.DisposeAsync();
            var renewed = RenewInProfile(h, profile, newKey: true, handover: false);

            await using var again = await h.SecureAsync(profile);
            Assert.Equal("alice", (await changed.Task.WaitAsync(TimeSpan.FromSeconds(10))).UserName);
            // Her renewal is refused everywhere (another key, nobody vouched), so she joins as a new device.
            await Eventually.TrueAsync(() => bob.GroupMemberSerials(Room).Contains(renewed, StringComparer.OrdinalIgnoreCase),
                "alice's new certificate joined bob's group");
            await TwoChatting.BothWaysAsync(again, bob, "after the key change");
            Assert.Equal(ContactTrust.Changed, Assert.Single(bob.Contacts()).Trust);
            Assert.DoesNotContain(TwoChatting.Drain(bob, m => m.IsNotice), m => m.Notice is KeyRenewedNotice);
        }
    }

    [Fact]
    public async Task A_renewal_whose_previous_certificate_was_revoked_is_refused_by_bob()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var previous = alice.DeviceSerial;
            await alice.DisposeAsync();
            RenewInProfile(h, profile);
            using (var ca = CertificateAuthority.Open(new CaDirectory(h.DataPath), ""))
            {
                new CertificateRegistry(new CaDirectory(h.DataPath)).Revoke(previous);
                bob.AcceptRevocations(ca.CreateRevocationList(TimeSpan.FromDays(1)).Der);
            }

            await using var again = await h.SecureAsync(profile);
            var refused = await SecureHarness.NextAsync(bob);
            while (refused.Verified)
            {
                refused = await SecureHarness.NextAsync(bob);
            }

            Assert.Contains("revoked when it was sequenced", refused.Problem);
            // She joins as a new device instead (her renewed certificate is valid); bob removes
            // the revoked one before he sends.
            await TwoChatting.BothWaysAsync(again, bob, "after the refusal");
            Assert.DoesNotContain(previous, bob.GroupMemberSerials(Room), StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_handover_from_a_key_revoked_since_is_the_loud_key_change_not_renewed_its_key()
    {
        // The handover's time is its signer's word: whoever holds a key that was revoked (a lost
        // device found later) must not get the calm notice and keep the verification mark.
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var previous = alice.DeviceSerial;
            var changed = new TaskCompletionSource<ContactRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
            bob.ContactChanged += (_, contact) => changed.TrySetResult(contact);
            await alice.DisposeAsync();
            RenewInProfile(h, profile, newKey: true);
            using (var ca = CertificateAuthority.Open(new CaDirectory(h.DataPath), ""))
            {
                new CertificateRegistry(new CaDirectory(h.DataPath)).Revoke(previous);
                bob.AcceptRevocations(ca.CreateRevocationList(TimeSpan.FromDays(1)).Der);
            }

            await using var again = await h.SecureAsync(profile);
            Assert.Equal("alice", (await changed.Task.WaitAsync(TimeSpan.FromSeconds(10))).UserName);
            Assert.Equal(ContactTrust.Changed, Assert.Single(bob.Contacts()).Trust);
            Assert.DoesNotContain(TwoChatting.Drain(bob, m => m.IsNotice), m => m.Notice is KeyRenewedNotice);
        }
    }

    [Fact]
    public async Task A_renewal_cut_short_by_a_restart_is_saved_and_resumed()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        {
            var previous = alice.DeviceSerial;
            await alice.DisposeAsync();
            var renewed = RenewInProfile(h, profile);

            // Closed at once: the renewal in the background is cut short wherever it got to.
            await (await h.SecureAsync(profile)).DisposeAsync();
            var saved = SavedState(profile);
            Assert.Equal(renewed, KeyPackage.Parse(saved.Package!).Serial);
            var group = saved.Rooms[Room].Group;
            Assert.True(group.RenewingFrom == previous || group.Members.Contains(renewed, StringComparer.OrdinalIgnoreCase));

            await using var again = await h.SecureAsync(profile);
            await Eventually.TrueAsync(() => bob.GroupMemberSerials(Room).Contains(renewed, StringComparer.OrdinalIgnoreCase),
                "bob's group lists alice's renewed certificate");
            await TwoChatting.BothWaysAsync(again, bob, "after the restart");
            Assert.DoesNotContain(previous, bob.GroupMemberSerials(Room), StringComparer.OrdinalIgnoreCase);
            Assert.DoesNotContain(TwoChatting.Drain(bob, m => !m.Verified && !m.IsNotice), _ => true);
        }
    }

    [Fact]
    public async Task A_live_renewal_switches_the_session_to_the_renewed_certificate_and_saves_it_first()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        await using (alice)
        {
            using var ca = CertificateAuthority.Open(new CaDirectory(h.DataPath), "");
            using var key = CaKeyFile.Import(File.ReadAllText(Path.Combine(profile.Path, ChatProfile.KeyFile)), "");
            var csr = new CertificateRequest("CN=alice", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            using var renewed = ca.SignRequest(csr, "alice", additionalDevice: true).Certificate;
            using var previous = profile.LoadPublicCertificate();
            var fingerprint = alice.OwnFingerprint;

            // As the client raises it once the server rebound the connection.
            typeof(ChatClient).GetMethod("OnCertificateRenewed", BindingFlags.Instance | BindingFlags.NonPublic)!
                .Invoke(alice.Client, [previous, renewed]);

            Assert.Equal(renewed.SerialNumber, alice.DeviceSerial);
            Assert.Equal(fingerprint, alice.OwnFingerprint);
            Assert.Equal(renewed.SerialNumber, KeyPackage.Parse(SavedState(profile).Package!).Serial);
            Assert.Equal(previous.SerialNumber, SavedState(profile).Rooms[Room].Group.RenewingFrom);
        }
    }

    [Fact]
    public async Task A_renewed_certificate_of_another_key_is_ignored_by_a_live_session_without_throwing()
    {
        var (h, profile, alice, bob) = await TwoChatting.StartAsync();
        await using (h)
        await using (bob)
        await using (alice)
        {
            using var ca = CertificateAuthority.Open(new CaDirectory(h.DataPath), "");
            using var other = ca.IssueClient("alice", additionalDevice: true).Certificate;
            using var previous = profile.LoadPublicCertificate();
            var serial = alice.DeviceSerial;

            typeof(ChatClient).GetMethod("OnCertificateRenewed", BindingFlags.Instance | BindingFlags.NonPublic)!
                .Invoke(alice.Client, [previous, other]);

            Assert.Equal(serial, alice.DeviceSerial);
            await TwoChatting.BothWaysAsync(alice, bob, "unchanged");
        }
    }

    private static SessionStateFile SavedState(ChatProfile profile)
    {
        using var key = CaKeyFile.Import(File.ReadAllText(Path.Combine(profile.Path, ChatProfile.KeyFile)), "");
        var token = File.ReadAllText(SessionStateStore.PathIn(profile.Path));
        return JsonSerializer.Deserialize(Fernet.Decrypt(SessionStateStore.KeyOf(key), token, DateTimeOffset.UtcNow), SessionJson.Default.SessionStateFile)!;
    }
}
