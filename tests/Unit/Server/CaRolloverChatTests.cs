using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>A CA rollover seen by its users: a server stopped, rolled over and started again;
/// users online, offline and enrolled afterwards chatting end to end; revocations under both
/// roots; the old root's expiry on a moved client clock.</summary>
public class CaRolloverChatTests
{
    /// <summary>A server on a CA made 20 days ago for 30 days (so it expires 10 days from now),
    /// with enrollment and sessions that keep their reconnect quick.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly TempDirectory _temp = new();
        private readonly List<SecureSession> _sessions = [];
        private int _port;

        public OpenChat.Engine.Server.ChatServer Server { get; private set; } = null!;

        public string DataPath => _temp.Combine("server");

        public string ProfileRoot => _temp.Combine("profiles");

        public string Address => $"127.0.0.1:{_port}";

        public static async Task<Rig> StartAsync()
        {
            var rig = new Rig();
            var past = new ManualTime(DateTimeOffset.UtcNow.AddDays(-20));
            var directory = CertificateAuthority.Create(rig.DataPath, "Rollover CA", "", validDays: 30, time: past);
            using (var ca = CertificateAuthority.Open(directory, "", past))
            {
                ca.IssueServer(["localhost"], [System.Net.IPAddress.Loopback]).Certificate.Dispose();
            }

            rig.Server = await OpenChat.Engine.Server.ChatServer.StartAsync(rig.DataPath, new ChatServerOptions { Port = 0 });
            rig._port = rig.Server.Endpoint.Port;
            return rig;
        }

        public async Task<ChatProfile> EnrollAsync(string user)
        {
            var (_, code) = new InviteBook(new CaDirectory(DataPath)).Create(user, server: Address);
            return await ChatEnrollment.RegisterAsync(code.ToString(), ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        public async Task<SecureSession> SecureAsync(ChatProfile profile, TimeProvider? clientTime = null)
        {
            var options = new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) };
            if (clientTime is not null)
            {
                options.Time = clientTime;
            }

            var session = await SecureSession.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, options);
            _sessions.Add(session);
            return session;
        }

        public async Task<CaRolloverResult> StopAndRollOverAsync()
        {
            await Server.StopAsync();
            return OpenChat.Engine.Server.ChatServer.RollOverCertificateAuthority(DataPath, "", "", keepPassword: true);
        }

        public async Task StartAgainAsync() =>
            Server = await OpenChat.Engine.Server.ChatServer.StartAsync(DataPath, new ChatServerOptions { Port = _port });

        public async ValueTask DisposeAsync()
        {
            foreach (var session in _sessions)
            {
                await session.DisposeAsync();
            }

            await Server.StopAsync();
            _temp.Dispose();
        }
    }

    private static string Fingerprint(X509Certificate2 certificate) => CaDirectory.FormatFingerprint(SHA256.HashData(certificate.RawData));

    private static IReadOnlyList<string> Pinned(SecureSession session) => session.Client.PinnedRoots.Live().Select(Fingerprint).Order().ToList();

    [Fact]
    public async Task After_a_rollover_an_online_user_an_offline_user_and_one_enrolled_afterwards_all_chat_end_to_end()
    {
        await using var rig = await Rig.StartAsync();
        var oldRoot = Fingerprint(new CaDirectory(rig.DataPath).Certificate);
        var alice = await rig.SecureAsync(await rig.EnrollAsync("alice"));
        var bobProfile = await rig.EnrollAsync("bob");
        await using (var bobBefore = await SecureSession.ConnectAsync(bobProfile, ReadOnlyMemory<char>.Empty))
        {
            await alice.CreateRoomAsync("ops");
            await bobBefore.EnterAsync("ops");
            await alice.SendAsync("ops", "before");
            Assert.Equal("before", (await SecureHarness.NextWithTextAsync(bobBefore, "before")).Text);
        }

        // Bob is offline throughout; alice stays connected, so she is cut off by the stop and reconnects.
        var result = await rig.StopAndRollOverAsync();
        await rig.StartAgainAsync();
        var both = new[] { oldRoot, result.Fingerprint }.Order().ToList();
        Assert.Equal(result.Fingerprint, Fingerprint(new CaDirectory(rig.DataPath).Certificate));

        await Eventually.TrueAsync(() => Pinned(alice).SequenceEqual(both), "alice pins both roots after reconnecting");
        await alice.SendAsync("ops", "after the rollover");

        // Bob pins only the old root: he verifies the server through the cross-certificate, then learns the new root.
        Assert.Equal([oldRoot], PinnedRoots.Load(bobProfile, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Live().Select(Fingerprint));
        var bob = await rig.SecureAsync(bobProfile);
        await Eventually.TrueAsync(() => Pinned(bob).SequenceEqual(both), "bob learns the new root at reconnect");
        await bob.EnterAsync("ops");
        var afterRollover = await SecureHarness.NextWithTextAsync(bob, "after the rollover");
        Assert.Equal(("alice", true), (afterRollover.Sender, afterRollover.Verified));

        // Carol enrolls with an invite made after the rollover: it pins the new root, and the
        // reverse cross-certificate gives her the old one, under which alice and bob still are.
        var (_, invite) = new InviteBook(new CaDirectory(rig.DataPath)).Create("carol", server: rig.Address);
        Assert.Equal(result.Fingerprint, CaDirectory.FormatFingerprint(invite.CaFingerprint));
        var carolProfile = await ChatEnrollment.RegisterAsync(invite.ToString(), rig.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(result.Subject, carolProfile.LoadPublicCertificate().Issuer);
        var carol = await rig.SecureAsync(carolProfile);
        await Eventually.TrueAsync(() => Pinned(carol).SequenceEqual(both), "carol learns the old root");
        await carol.EnterAsync("ops");
        await carol.SendAsync("ops", "from carol under the new root");
        foreach (var reader in new[] { alice, bob })
        {
            var fromCarol = await SecureHarness.NextWithTextAsync(reader, "from carol under the new root");
            Assert.Equal(("carol", true), (fromCarol.Sender, fromCarol.Verified));
        }

        await bob.SendAsync("ops", "from bob under the old root");
        var fromBob = await SecureHarness.NextWithTextAsync(carol, "from bob under the old root");
        Assert.Equal(("bob", true), (fromBob.Sender, fromBob.Verified));
    }

    [Fact]
    public async Task An_invite_made_before_the_rollover_still_enrolls_and_its_identity_learns_the_new_root()
    {
        await using var rig = await Rig.StartAsync();
        var oldRoot = Fingerprint(new CaDirectory(rig.DataPath).Certificate);
        var (_, invite) = new InviteBook(new CaDirectory(rig.DataPath)).Create("frank", server: rig.Address);
        var result = await rig.StopAndRollOverAsync();
        await rig.StartAgainAsync();

        var profile = await ChatEnrollment.RegisterAsync(invite.ToString(), rig.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(result.Subject, profile.LoadPublicCertificate().Issuer);
        Assert.Equal(oldRoot, Fingerprint(profile.LoadCaCertificate()));
        var frank = await rig.SecureAsync(profile);
        await Eventually.TrueAsync(() => Pinned(frank).SequenceEqual(new[] { oldRoot, result.Fingerprint }.Order()), "frank learns the new root");
    }

    [Fact]
    public async Task Certificates_revoked_under_the_old_root_and_under_the_new_root_are_both_refused_and_listed_by_both_roots()
    {
        await using var rig = await Rig.StartAsync();
        var oldRoot = X509CertificateLoader.LoadCertificate(new CaDirectory(rig.DataPath).Certificate.RawData);
        var daveProfile = await rig.EnrollAsync("dave");
        var alice = await rig.SecureAsync(await rig.EnrollAsync("alice"));
        await rig.StopAndRollOverAsync();
        await rig.StartAgainAsync();
        var newRoot = X509CertificateLoader.LoadCertificate(new CaDirectory(rig.DataPath).Certificate.RawData);
        var erinProfile = await rig.EnrollAsync("erin");
        await Eventually.TrueAsync(() => alice.Client.PinnedRoots.Live().Count == 2, "alice pins both roots");

        var registry = new CertificateRegistry(new CaDirectory(rig.DataPath));
        var dave = daveProfile.LoadPublicCertificate().SerialNumber;
        var erin = erinProfile.LoadPublicCertificate().SerialNumber;
        registry.Revoke(dave);
        registry.Revoke(erin);

        foreach (var profile in new[] { daveProfile, erinProfile })
        {
            var refused = await Assert.ThrowsAsync<OpenChatException>(() => ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty));
            Assert.Contains(refused.ErrorId, new[] { ErrorIds.ConnectionRefused, ErrorIds.CertificateRevoked });
        }

        // The server publishes a list per root; each is signed by its root and names both.
        var lists = await alice.Client.FetchRevocationListsAsync();
        Assert.Equal(2, lists.Count);
        var underNew = CrlReader.VerifiedSerials(lists[0], newRoot);
        var underOld = CrlReader.VerifiedSerials(lists[1], oldRoot);
        Assert.Throws<CryptographicException>(() => CrlReader.VerifiedSerials(lists[0], oldRoot));
        foreach (var serial in new[] { dave, erin })
        {
            Assert.Contains(serial, underNew, StringComparer.OrdinalIgnoreCase);
            Assert.Contains(serial, underOld, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task After_the_old_root_expires_clients_drop_it_and_a_profile_that_pins_only_it_needs_a_new_invite()
    {
        await using var rig = await Rig.StartAsync();
        var oldRoot = X509CertificateLoader.LoadCertificate(new CaDirectory(rig.DataPath).Certificate.RawData);
        var aliceProfile = await rig.EnrollAsync("alice");
        var danProfile = await rig.EnrollAsync("dan");
        var result = await rig.StopAndRollOverAsync();
        await rig.StartAgainAsync();

        // Eleven days on by the clients' clock, the old root (10 days left) has expired.
        var later = new ManualTime(DateTimeOffset.UtcNow.AddDays(11));
        await using (var alice = await SecureSession.ConnectAsync(aliceProfile, ReadOnlyMemory<char>.Empty))
        {
            await Eventually.TrueAsync(() => alice.Client.PinnedRoots.Live().Count == 2, "alice pins both roots");
        }

        var roots = PinnedRoots.Load(aliceProfile, later, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal([result.Fingerprint], roots.Live().Select(Fingerprint));
        Assert.Equal([result.Fingerprint], PinnedRoots.Load(aliceProfile, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).All.Select(Fingerprint));

        // Dan was offline throughout the overlap: he pins only the expired root.
        var refused = await Assert.ThrowsAsync<OpenChatException>(() =>
            ChatClient.ConnectAsync(danProfile, ReadOnlyMemory<char>.Empty, new ChatClientOptions { Time = later }));
        Assert.Equal(ErrorIds.PinnedCaExpired, refused.ErrorId);
        Assert.Contains("new invite", refused.Message);
        Assert.Equal([Fingerprint(oldRoot)], PinnedRoots.Load(danProfile, later, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).All.Select(Fingerprint));
    }
}
