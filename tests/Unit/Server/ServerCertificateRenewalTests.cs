using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>The server renews its own TLS certificate, at start and while running, with the
/// clock moved instead of waiting a year.</summary>
public class ServerCertificateRenewalTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Spki(X509Certificate2 certificate) => certificate.PublicKey.ExportSubjectPublicKeyInfo();

    /// <summary>A data directory whose CA and server certificate were made <paramref name="daysAgo"/> days ago.</summary>
    private static CaDirectory MadeInThePast(string path, int daysAgo, string password = "")
    {
        var past = new ManualTime(DateTimeOffset.UtcNow.AddDays(-daysAgo));
        var directory = CertificateAuthority.Create(path, "Renewal Test CA", password, time: past);
        using var ca = CertificateAuthority.Open(directory, password, past);
        ca.IssueServer([], []).Certificate.Dispose();
        return directory;
    }

    private static X509Certificate2 Installed(CaDirectory directory) =>
        X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath);

    private static async Task<X509Certificate2> PresentedAsync(OpenChat.Engine.Server.ChatServer server)
    {
        await using var raw = await RawClient.ConnectAsync(server.Endpoint.Port, (X509Certificate2?)null);
        return X509CertificateLoader.LoadCertificate(raw.Stream.RemoteCertificate!.GetRawCertData());
    }

    private static void AssertChainsToCa(X509Certificate2 certificate, CaDirectory directory)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(directory.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void A_ten_minute_certificate_is_due_two_thirds_of_ten_minutes_after_it_was_issued()
    {
        var issued = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var certificate = new CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(issued - ClockSkew.Backdating, issued.AddMinutes(10));

        Assert.Equal(issued.AddSeconds(400), ServerCertificateRenewal.RenewAt(certificate));
    }

    [Fact]
    public void A_certificate_is_due_for_renewal_once_two_thirds_of_its_validity_have_passed()
    {
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var certificate = new CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(start, start.AddDays(300));
        // Two thirds of the life after its issuance, which the CA dates back by the backdating.
        var due = start + ClockSkew.Backdating + ((TimeSpan.FromDays(300) - ClockSkew.Backdating) * 2 / 3);
        Assert.Equal(due, ServerCertificateRenewal.RenewAt(certificate));
        Assert.False(ServerCertificateRenewal.IsDue(certificate, due.AddSeconds(-1)));
        Assert.True(ServerCertificateRenewal.IsDue(certificate, due));
        Assert.False(ServerCertificateRenewal.IsExpired(certificate, start.AddDays(299)));
        Assert.True(ServerCertificateRenewal.IsExpired(certificate, start.AddDays(300)));
    }

    [Fact]
    public async Task A_server_running_across_the_two_thirds_mark_serves_a_new_certificate_to_new_connections_while_old_ones_keep_chatting()
    {
        // The server's clock starts 300 days back: its certificate (397 days) is then new, and at
        // the real now it is past two thirds, so what the clients check with the real clock stays valid.
        var time = new ManualTime(DateTimeOffset.UtcNow.AddDays(-300));
        var logs = new RecordingLoggerFactory();
        await using var h = await ChatHarness.StartAsync(o =>
        {
            o.Time = time;
            o.LoggerFactory = logs;
        });
        var directory = new CaDirectory(h.DataPath);
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        var closed = 0;
        h.Server.ConnectionClosed += (_, e) =>
        {
            if (e.UserName is "alice" or "bob")
            {
                Interlocked.Increment(ref closed);
            }
        };
        var inviteBeforeRenewal = h.Invite("carol");
        var old = h.Server.ServerCertificate;
        Assert.Equal(old.SerialNumber, (await PresentedAsync(h.Server)).SerialNumber);

        time.Now = DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => h.Server.ServerCertificate.SerialNumber != old.SerialNumber, "the server renews its certificate");

        var renewed = h.Server.ServerCertificate;
        Assert.True(renewed.NotAfter.ToUniversalTime() > DateTime.UtcNow.AddDays(390));
        Assert.Equal(Spki(old), Spki(renewed));
        Assert.Equal(old.Subject, renewed.Subject);
        Assert.Equal(ServerCertificateRenewal.Describe(old).DnsNames, ServerCertificateRenewal.Describe(renewed).DnsNames);
        Assert.Equal(ServerCertificateRenewal.Describe(old).Addresses, ServerCertificateRenewal.Describe(renewed).Addresses);
        AssertChainsToCa(renewed, directory);
        Assert.Contains(logs.Events, e => e.EventId == 4020);

        // A new connection is shown the new certificate, and what is installed is the same.
        Assert.Equal(renewed.SerialNumber, (await PresentedAsync(h.Server)).SerialNumber);
        using (var onDisk = Installed(directory))
        {
            Assert.Equal(renewed.SerialNumber, onDisk.SerialNumber);
        }

        // The connections opened before keep chatting, never closed.
        await alice.PublishAsync("ops", Text("after the renewal"));
        Assert.Equal("after the renewal", Encoding.UTF8.GetString((await Eventually.NextAsync(bob)).Body));
        Assert.Equal(0, Volatile.Read(ref closed));

        // An invite made before the renewal still enrolls (the key stayed), bound to the new certificate.
        var carol = await h.ConnectAsync(await OpenChat.Engine.Client.ChatEnrollment.RegisterAsync(inviteBeforeRenewal, h.ProfileRoot,
            ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None));
        await carol.JoinAsync("ops");

        // Renewed once, recorded like any issuance.
        var servers = new CertificateRegistry(directory).Find(CertificateKind.Server);
        Assert.Equal(2, servers.Count);
        Assert.Contains(servers, r => r.Serial == renewed.SerialNumber);
    }

    [Fact]
    public async Task A_server_started_with_an_expired_certificate_renews_it_with_the_same_names_and_key()
    {
        using var temp = new TempDirectory();
        var directory = MadeInThePast(temp.Combine("server"), daysAgo: 400);
        string expiredSerial;
        byte[] key;
        using (var expired = Installed(directory))
        {
            Assert.True(expired.NotAfter.ToUniversalTime() < DateTime.UtcNow);
            expiredSerial = expired.SerialNumber;
            key = Spki(expired);
        }

        var logs = new RecordingLoggerFactory();
        await using var server = await OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0, LoggerFactory = logs });
        Assert.NotEqual(expiredSerial, server.ServerCertificate.SerialNumber);
        Assert.True(server.ServerCertificate.NotAfter.ToUniversalTime() > DateTime.UtcNow.AddDays(390));
        Assert.Equal(key, Spki(server.ServerCertificate));
        Assert.Contains(logs.Events, e => e.EventId == 4020);

        using var presented = await PresentedAsync(server);
        Assert.Equal(server.ServerCertificate.SerialNumber, presented.SerialNumber);
        AssertChainsToCa(presented, directory);
        var record = Assert.Single(new CertificateRegistry(directory).Find(CertificateKind.Server, serial: presented.SerialNumber));
        Assert.Equal(CertificateStatus.Valid, record.StatusAt(DateTimeOffset.UtcNow));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.ServerKeyPath));
        }
    }

    [Fact]
    public async Task A_server_whose_certificate_is_not_yet_due_keeps_it_at_start()
    {
        using var temp = new TempDirectory();
        var directory = MadeInThePast(temp.Combine("server"), daysAgo: 10);
        using var installed = Installed(directory);
        await using var server = await OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0 });
        Assert.Equal(installed.SerialNumber, server.ServerCertificate.SerialNumber);
        Assert.Single(new CertificateRegistry(directory).Find(CertificateKind.Server));
    }

    [Fact]
    public async Task A_certificate_that_already_ends_with_the_CA_is_not_renewed_again_and_again()
    {
        // A 30-day CA made 25 days ago: the server certificate is cut at the CA's end, so it is past
        // two thirds, but a renewal would end at the same moment and would be due at once again.
        using var temp = new TempDirectory();
        var past = new ManualTime(DateTimeOffset.UtcNow.AddDays(-25));
        var directory = CertificateAuthority.Create(temp.Combine("server"), "Ending CA", "", validDays: 30, time: past);
        using (var ca = CertificateAuthority.Open(directory, "", past))
        {
            ca.IssueServer([], []).Certificate.Dispose();
        }

        using var installed = Installed(directory);
        Assert.True(ServerCertificateRenewal.IsDue(installed, DateTimeOffset.UtcNow));
        await using (var server = await OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0 }))
        {
            Assert.Equal(installed.SerialNumber, server.ServerCertificate.SerialNumber);
        }

        // What a running server's every tick asks: nothing to renew, however often it asks.
        using (var ca = CertificateAuthority.Open(directory, ""))
        {
            var rotation = new ServerCertificateRotation(ca, Installed(directory), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            Assert.False(rotation.RenewIfDue());
            Assert.False(rotation.RenewIfDue());
            Assert.Equal(installed.SerialNumber, rotation.Current.Certificate.SerialNumber);
        }

        Assert.Single(new CertificateRegistry(directory).Find(CertificateKind.Server));
    }

    [Fact]
    public void A_renewal_that_fails_while_running_is_logged_never_thrown_and_tried_again_only_later()
    {
        using var temp = new TempDirectory();
        var directory = MadeInThePast(temp.Combine("server"), daysAgo: 300);
        var logs = new RecordingLoggerFactory();
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var ca = CertificateAuthority.Open(directory, "");
        var rotation = new ServerCertificateRotation(ca, Installed(directory), time, logs.CreateLogger("test"));
        var before = rotation.Current;
        ca.Dispose(); // its key is gone: signing fails

        Assert.False(rotation.RenewIfDue());
        Assert.False(rotation.RenewIfDue());
        Assert.Same(before, rotation.Current);
        Assert.Single(logs.Events, e => e.EventId == 4021);

        time.Advance(ServerCertificateRotation.RetryAfter);
        Assert.False(rotation.RenewIfDue());
        Assert.Equal(2, logs.Events.Count(e => e.EventId == 4021));
        Assert.Single(new CertificateRegistry(directory).Find(CertificateKind.Server));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not the password")]
    public async Task An_expired_certificate_with_an_encrypted_CA_key_and_no_right_password_refuses_the_start_by_name(string? password)
    {
        using var temp = new TempDirectory();
        var directory = MadeInThePast(temp.Combine("server"), daysAgo: 400, password: "the CA password");
        using var expired = Installed(directory);
        var logs = new RecordingLoggerFactory();

        var e = await Assert.ThrowsAsync<OpenChatException>(() =>
            OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0, CaPassword = password, LoggerFactory = logs }));
        Assert.Equal(ErrorIds.ServerCertificateExpired, e.ErrorId);
        Assert.Contains(logs.Events, ev => ev.EventId == 4022);

        // Nothing was issued or replaced, and the directory is free for a start with the password.
        using (var still = Installed(directory))
        {
            Assert.Equal(expired.SerialNumber, still.SerialNumber);
        }

        Assert.Single(new CertificateRegistry(directory).Find(CertificateKind.Server));
        await using var server = await OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0, CaPassword = "the CA password" });
        Assert.NotEqual(expired.SerialNumber, server.ServerCertificate.SerialNumber);
    }

    [Fact]
    public async Task An_expired_certificate_the_CA_can_no_longer_renew_refuses_the_start()
    {
        // The CA itself expired (a 30-day CA made 400 days ago): renewal is refused, so the start is.
        using var temp = new TempDirectory();
        var past = new ManualTime(DateTimeOffset.UtcNow.AddDays(-400));
        var directory = CertificateAuthority.Create(temp.Combine("server"), "Short CA", "", validDays: 30, time: past);
        using (var ca = CertificateAuthority.Open(directory, "", past))
        {
            ca.IssueServer([], []).Certificate.Dispose();
        }

        var e = await Assert.ThrowsAsync<OpenChatException>(() => OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0 }));
        Assert.Equal(ErrorIds.ServerCertificateExpired, e.ErrorId);
        Assert.Equal(ErrorIds.CaExpired, Assert.IsType<OpenChatException>(e.InnerException).ErrorId);
    }
}
