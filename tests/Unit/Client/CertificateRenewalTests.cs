using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Users' certificates renewed through a real server, with the clocks moved instead of
/// waiting a year. Certificates are issued with the server's clock set back, so that what the TLS
/// stacks check with the real clock is what the test means (valid, past two thirds, or expired).</summary>
public class CertificateRenewalTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Spki(X509Certificate2 certificate) => certificate.PublicKey.ExportSubjectPublicKeyInfo();

    private static ChatClientOptions Options(TimeProvider time) => new()
    {
        Time = time,
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        RenewalCheckInterval = TimeSpan.FromMilliseconds(50),
    };

    private static CertificateRecord Record(ChatHarness h, string serial) => new CaDirectory(h.DataPath).Store.GetCertificate(serial)!;

    private static int Unrevoked(ChatHarness h) => new CaDirectory(h.DataPath).Store.FindCertificates(CertificateKind.Client).Count(r => r.RevokedAt is null);

    /// <summary>A server whose CA was made 100 days ago, its clock then set to now.</summary>
    private static async Task<ChatHarness> StartedLongAgoAsync()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow.AddDays(-100));
        var h = await ChatHarness.StartAsync(o => o.Time = time);
        time.Now = DateTimeOffset.UtcNow;
        return h;
    }

    /// <summary>Enrolls <paramref name="user"/>, then swaps the profile's certificate for one of the
    /// same key issued <paramref name="daysAgo"/> days ago for <paramref name="lifetimeDays"/> days
    /// (the enrolled one is revoked, so it is out of the way).</summary>
    private static async Task<ChatProfile> EnrolledLongAgoAsync(ChatHarness h, string user, int daysAgo, int lifetimeDays)
    {
        var profile = await h.EnrollAsync(user);
        var directory = new CaDirectory(h.DataPath);
        using (var ca = CertificateAuthority.Open(directory, "", new ManualTime(DateTimeOffset.UtcNow.AddDays(-daysAgo))))
        using (var identity = profile.LoadIdentity(ReadOnlySpan<char>.Empty))
        using (var key = identity.GetECDsaPrivateKey()!)
        {
            var csr = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            using var old = ca.SignRequest(csr, user, lifetimeDays, additionalDevice: true).Certificate;
            new CertificateRegistry(directory).Revoke(identity.SerialNumber);
            profile.ReplaceCertificate(old);
        }

        return ChatProfile.Open(profile.Path);
    }

    [Fact]
    public async Task A_connected_user_crossing_the_two_thirds_mark_is_renewed_with_no_reconnect_and_keeps_chatting()
    {
        var serverTime = new ManualTime(DateTimeOffset.UtcNow.AddDays(-300));
        await using var h = await ChatHarness.StartAsync(o => o.Time = serverTime);
        var clientTime = new ManualTime(serverTime.Now);
        var aliceProfile = await h.EnrollAsync("alice");
        var alice = await h.ConnectAsync(aliceProfile, Options(clientTime));
        var bob = await h.ConnectAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        using var before = aliceProfile.LoadPublicCertificate();
        var states = new List<ChatClientState>();
        alice.StateChanged += (_, e) => { lock (states) { states.Add(e.State); } };
        CertificateRenewedEventArgs? renewedEvent = null;
        alice.CertificateRenewed += (_, e) => renewedEvent = e;
        var closed = 0;
        h.Server.ConnectionClosed += (_, _) => Interlocked.Increment(ref closed);

        // The first message goes out under the first certificate.
        await alice.PublishAsync("ops", Text("before"));
        Assert.Equal(before.SerialNumber, (await Eventually.NextAsync(bob)).SenderSerial);

        serverTime.Now = DateTimeOffset.UtcNow;
        clientTime.Now = serverTime.Now;
        await Eventually.TrueAsync(() => renewedEvent is not null, "alice renews by herself");

        using var after = ChatProfile.Open(aliceProfile.Path).LoadPublicCertificate();
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.Equal(Spki(before), Spki(after));
        Assert.Equal(before.SerialNumber, renewedEvent!.Previous.SerialNumber);
        Assert.Equal(after.SerialNumber, renewedEvent.Renewed.SerialNumber);
        Assert.Equal(after.SerialNumber, ChatProfile.Open(aliceProfile.Path).Info.Serial);
        Assert.Equal(before.SerialNumber, Record(h, after.SerialNumber).RenewedFrom);

        // The same connection now speaks for the renewed certificate.
        await alice.PublishAsync("ops", Text("after"));
        var received = await Eventually.NextAsync(bob);
        Assert.Equal("after", Encoding.UTF8.GetString(received.Body));
        Assert.Equal(after.SerialNumber, received.SenderSerial);
        Assert.Equal(0, Volatile.Read(ref closed));
        lock (states)
        {
            Assert.DoesNotContain(ChatClientState.Reconnecting, states);
        }

        // A reconnect uses the renewed certificate.
        alice.DropConnection();
        await Eventually.TrueAsync(() => alice.State == ChatClientState.Connected && h.Server.GetStatistics().Connections == 2, "alice reconnects");
        await alice.PublishAsync("ops", Text("reconnected"));
        Assert.Equal(after.SerialNumber, (await Eventually.NextAsync(bob)).SenderSerial);
    }

    [Fact]
    public async Task A_user_offline_past_expiry_but_inside_the_grace_window_renews_on_connecting()
    {
        await using var h = await StartedLongAgoAsync();
        var profile = await EnrolledLongAgoAsync(h, "alice", daysAgo: 40, lifetimeDays: 30);
        using var expired = profile.LoadPublicCertificate();
        Assert.True(expired.NotAfter.ToUniversalTime() < DateTime.UtcNow);

        var alice = await h.ConnectAsync(profile, Options(TimeProvider.System));
        using var renewed = ChatProfile.Open(profile.Path).LoadPublicCertificate();
        Assert.NotEqual(expired.SerialNumber, renewed.SerialNumber);
        Assert.Equal(Spki(expired), Spki(renewed));
        Assert.True(renewed.NotAfter.ToUniversalTime() > DateTime.UtcNow.AddDays(29));
        Assert.Equal(expired.SerialNumber, Record(h, renewed.SerialNumber).RenewedFrom);
        await alice.CreateRoomAsync("ops");
        Assert.Equal(1ul, await alice.PublishAsync("ops", Text("back")));
    }

    [Fact]
    public async Task A_user_past_the_grace_window_gets_a_clear_error_then_re_enrolls_into_the_same_profile_with_an_invite()
    {
        await using var h = await StartedLongAgoAsync();
        var profile = await EnrolledLongAgoAsync(h, "alice", daysAgo: 70, lifetimeDays: 30);

        var e = await Assert.ThrowsAsync<OpenChatException>(() => ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, Options(TimeProvider.System)));
        Assert.Equal(ErrorIds.CertificateExpired, e.ErrorId);
        Assert.Contains("Register-ChatUser -Invite", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, Unrevoked(h));

        // An invite for another user does not go into this profile.
        var wrong = await Assert.ThrowsAsync<OpenChatException>(() => ChatEnrollment.ReenrollAsync(h.Invite("bob"), profile, ReadOnlyMemory<char>.Empty,
            TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(ErrorIds.ReenrollUserMismatch, wrong.ErrorId);

        using var before = profile.LoadPublicCertificate();
        File.WriteAllText(Path.Combine(profile.Path, "kept.marker"), "contacts, history and state stay");
        var reenrolled = await ChatEnrollment.ReenrollAsync(h.Invite("alice"), profile, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(profile.Path, reenrolled.Path);
        using var after = reenrolled.LoadPublicCertificate();
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.Equal(Spki(before), Spki(after));
        Assert.True(File.Exists(Path.Combine(profile.Path, "kept.marker")));
        var alice = await h.ConnectAsync(reenrolled, Options(TimeProvider.System));
        await alice.CreateRoomAsync("ops");
    }

    [Fact]
    public async Task A_revoked_expired_certificate_is_refused_and_not_renewed()
    {
        await using var h = await StartedLongAgoAsync();
        var profile = await EnrolledLongAgoAsync(h, "alice", daysAgo: 40, lifetimeDays: 30);
        new CertificateRegistry(new CaDirectory(h.DataPath)).Revoke(profile.Info.Serial);

        var e = await Assert.ThrowsAsync<OpenChatException>(() => ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, Options(TimeProvider.System)));
        Assert.Equal(ErrorIds.ConnectionRefused, e.ErrorId);
        Assert.Equal(0, Unrevoked(h));
        Assert.Equal(2, new CaDirectory(h.DataPath).Store.FindCertificates(CertificateKind.Client).Count);
    }

    [Fact]
    public async Task A_copy_of_the_old_key_cannot_fork_a_renewed_device_it_gets_the_same_renewal_or_nothing()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        using var temp = new TempDirectory();
        var stolen = temp.Combine("stolen");
        CopyDirectory(profile.Path, stolen);
        var stolenAgain = temp.Combine("stolen again");
        CopyDirectory(profile.Path, stolenAgain);
        var alice = await h.ConnectAsync(profile);
        using var renewed = await alice.RenewCertificateAsync();

        // Asking again for the same key is the same request: the same certificate, nothing new.
        using var same = await IdentityRenewal.RenewAsync(ChatProfile.Open(stolen), ReadOnlyMemory<char>.Empty);
        Assert.Equal(renewed.SerialNumber, same.SerialNumber);
        // A move to another key is someone else's renewal: refused.
        var e = await Assert.ThrowsAsync<OpenChatException>(() => IdentityRenewal.RenewWithNewKeyAsync(ChatProfile.Open(stolenAgain), ReadOnlyMemory<char>.Empty));
        Assert.Equal(ErrorIds.CertificateAlreadyRenewed, e.ErrorId);
        Assert.Equal(2, new CaDirectory(h.DataPath).Store.FindCertificates(CertificateKind.Client).Count);
    }

    [Fact]
    public async Task An_offline_renewal_stores_the_certificate_and_the_identity_connects_with_it()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        using var before = profile.LoadPublicCertificate();
        using var renewed = await IdentityRenewal.RenewAsync(profile, ReadOnlyMemory<char>.Empty);
        Assert.NotEqual(before.SerialNumber, renewed.SerialNumber);
        Assert.Equal(renewed.SerialNumber, ChatProfile.Open(profile.Path).LoadPublicCertificate().SerialNumber);
        var alice = await h.ConnectAsync(ChatProfile.Open(profile.Path));
        await alice.CreateRoomAsync("ops");
    }

    [Fact]
    public async Task A_renewal_request_with_a_CSR_for_another_user_is_refused_and_stores_nothing()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=mallory", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        await raw.SendAsync(new RenewCertificate(7, csr).ToFrame());
        var reply = Assert.IsType<ErrorReply>(MessageCodec.Decode((await raw.Reader.ReadAsync(CancellationToken.None))!.Value));
        Assert.Equal(7u, reply.Tag);
        Assert.Equal(ErrorIds.CsrSubjectMismatch, reply.Code);
        Assert.Single(new CaDirectory(h.DataPath).Store.FindCertificates(CertificateKind.Client));
    }

    [Fact]
    public async Task A_renewal_only_connection_may_do_nothing_but_renew()
    {
        await using var h = await StartedLongAgoAsync();
        var profile = await EnrolledLongAgoAsync(h, "alice", daysAgo: 40, lifetimeDays: 30);
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
        await raw.SendAsync(new NameRequest(MessageType.CreateRoom, 1, "ops").ToFrame());
        Assert.Equal(ErrorIds.RenewalOnly, await raw.ReadUntilClosedAsync());
        Assert.Equal(1, Unrevoked(h));
    }

    [Fact]
    public async Task Renewals_on_one_connection_are_rate_limited()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var alice = await h.ConnectAsync(profile);
        for (var i = 0; i < 3; i++)
        {
            (await alice.RenewCertificateAsync()).Dispose();
        }

        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.RenewCertificateAsync());
        Assert.Equal(ErrorIds.RateLimited, e.ErrorId);
    }

    [Fact]
    public async Task An_automatic_renewal_that_fails_is_logged_and_tried_again_never_thrown()
    {
        await using var h = await ChatHarness.StartAsync();
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var logs = new OpenChat.Tests.Unit.Support.RecordingLoggerFactory();
        var options = Options(time);
        options.LoggerFactory = logs;
        options.RenewalRetryDelay = TimeSpan.FromMilliseconds(50);
        var alice = await h.ConnectAsync(await h.EnrollAsync("alice"), options);
        // The connection's renewals are spent, so the server refuses the next one (RateLimited).
        for (var i = 0; i < 3; i++)
        {
            (await alice.RenewCertificateAsync()).Dispose();
        }

        time.Advance(TimeSpan.FromDays(250));
        await Eventually.TrueAsync(() => logs.Events.Count(e => e.EventId == 2061 && e.Message.Contains(ErrorIds.RateLimited, StringComparison.Ordinal)) >= 2,
            "the refused renewal to be logged and tried again");
        Assert.Equal(ChatClientState.Connected, alice.State);
        await alice.CreateRoomAsync("ops");
    }

    [Fact]
    public async Task A_device_whose_certificate_someone_else_renewed_first_learns_it_loudly_and_stops_trying()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        using var temp = new TempDirectory();
        var stolen = temp.Combine("stolen");
        CopyDirectory(profile.Path, stolen);
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var logs = new OpenChat.Tests.Unit.Support.RecordingLoggerFactory();
        var options = Options(time);
        options.LoggerFactory = logs;
        var alice = await h.ConnectAsync(profile, options);

        (await IdentityRenewal.RenewWithNewKeyAsync(ChatProfile.Open(stolen), ReadOnlyMemory<char>.Empty)).Dispose();
        time.Advance(TimeSpan.FromDays(250));
        await Eventually.TrueAsync(() => logs.Events.Any(e => e.EventId == 2062 && e.Message.Contains(ErrorIds.CertificateAlreadyRenewed, StringComparison.Ordinal)),
            "the owner to be told that the certificate was renewed elsewhere");
        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.RenewCertificateAsync());
        Assert.Equal(ErrorIds.CertificateAlreadyRenewed, e.ErrorId);
        Assert.Contains("tell the admin", e.Message, StringComparison.Ordinal);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (Path.GetFileName(file) != "session.lock")
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }
    }
}
