using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>Who a client will talk to: after the admin replaces the server certificate and
/// revokes the old one, the old key in someone else's hands gets nothing from anyone.</summary>
public class ServerIdentityTests
{
    [Fact]
    public async Task An_enrolling_client_refuses_a_server_whose_key_is_not_the_one_its_invite_names()
    {
        await using var h = await ChatHarness.StartAsync();
        using var old = await ReplaceServerCertificateAsync(h);
        await using var fake = new FakeTlsServer(old);
        var (record, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("bob", server: fake.Address);

        var e = await Assert.ThrowsAsync<OpenChatException>(() =>
            ChatEnrollment.RegisterAsync(code.ToString(), h.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None));

        Assert.Equal(ErrorIds.ServerKeyMismatch, e.ErrorId);
        Assert.Contains("key", e.Message, StringComparison.Ordinal);
        Assert.True(fake.Accepted > 0, "the client should have dialled the fake server (control)");
        Assert.Equal(0, fake.BytesReceived); // no Hello, no Enroll
        Assert.Empty(fake.Faults);
        Assert.Equal(InviteStatus.Pending, new CaDirectory(h.DataPath).Store.GetInvite(record.Id)!.StatusAt(DateTimeOffset.UtcNow));

        // The same invite works against the real server, which holds the key it names.
        await ChatEnrollment.RegisterAsync((code with { Server = h.Address }).ToString(), h.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
    }

    [Fact]
    public async Task An_enrolled_client_refuses_a_revoked_server_certificate_before_saying_hello()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.EnrollAsync("alice");
        using var old = await ReplaceServerCertificateAsync(h);

        // alice talks to the real server (new certificate) and so learns the CA's revocation list.
        await using (var session = await h.SecureAsync(alice))
        {
            await Eventually.TrueAsync(() => alice.LoadRevokedSerials().Contains(old.SerialNumber, StringComparer.OrdinalIgnoreCase),
                "alice's profile to hold the old server serial");
        }

        await using var fake = new FakeTlsServer(old);
        var options = new ChatClientOptions { Server = fake.Address, ConnectTimeout = TimeSpan.FromSeconds(3), Reconnect = false };
        var e = await Assert.ThrowsAsync<OpenChatException>(() => ChatClient.ConnectAsync(alice, ReadOnlyMemory<char>.Empty, options));
        Assert.Equal(ErrorIds.ServerCertificateRevoked, e.ErrorId);
        Assert.Contains(old.SerialNumber, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(fake.Accepted > 0, "the client should have dialled the fake server (control)");
        Assert.Equal(0, fake.BytesReceived);
        Assert.Empty(fake.Faults);

        // Control: without what the revocation list taught it, the client would have said Hello.
        File.Delete(Path.Combine(alice.Path, ChatProfile.RevokedFile));
        await Assert.ThrowsAsync<OpenChatException>(() => ChatClient.ConnectAsync(alice, ReadOnlyMemory<char>.Empty, options));
        await Eventually.TrueAsync(() => fake.BytesReceived > 0, "the unwarned client to send Hello to the fake server");
    }

    [Fact]
    public async Task An_invite_proof_replayed_on_another_connection_is_refused()
    {
        await using var h = await ChatHarness.StartAsync();
        var (record, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("bob", server: h.Address);
        await using var first = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null, hello: false);
        await using var second = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null, hello: false);
        var firstNonce = await GreetAsync(first);
        await GreetAsync(second);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=bob", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var serverHash = SHA256.HashData(first.Stream.RemoteCertificate!.GetRawCertData());
        var claim = EnrollmentClaim.Prove(code, csr, serverHash, firstNonce);
        var frame = new Enroll(7, claim.InviteId, claim.UserName, claim.CertificateRequest, claim.Proof).ToFrame();

        await second.SendAsync(frame);
        var refused = await second.Reader.ReadAsync(CancellationToken.None);
        Assert.Equal(MessageType.Error, refused!.Value.Type);
        Assert.Equal(ErrorIds.InviteSecretWrong, ErrorReply.Read(refused.Value.Payload.Span).Code);
        Assert.Equal(InviteStatus.Pending, new CaDirectory(h.DataPath).Store.GetInvite(record.Id)!.StatusAt(DateTimeOffset.UtcNow));

        // On the connection it was made for, the same proof enrolls (control).
        await first.SendAsync(frame);
        var accepted = await first.Reader.ReadAsync(CancellationToken.None);
        Assert.Equal(MessageType.Enrolled, accepted!.Value.Type);
    }

    [Fact]
    public async Task A_full_server_tells_the_client_it_is_full()
    {
        await using var h = await ChatHarness.StartAsync(o => o.MaxConnections = 1);
        var alice = await h.EnrollAsync("alice");
        await Eventually.TrueAsync(() => h.Server.GetStatistics().Connections == 0, "the enrollment connection to close");
        var bob = await h.EnrollAsync("bob");
        await Eventually.TrueAsync(() => h.Server.GetStatistics().Connections == 0, "the enrollment connection to close");
        await h.ConnectAsync(alice);

        var e = await Assert.ThrowsAsync<OpenChatException>(() => ChatClient.ConnectAsync(bob, ReadOnlyMemory<char>.Empty, new ChatClientOptions { Reconnect = false }));
        Assert.Equal(ErrorIds.ServerBusy, e.ErrorId);
        Assert.Equal(ErrorKind.Unavailable, e.Kind);
        Assert.Contains("full", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_certificate_is_checked_against_todays_date_and_the_revoked_serials_on_both_paths()
    {
        using var ca = new Ca().WithServer();
        using var server = X509Certificate2.CreateFromPem(File.ReadAllText(ca.Directory.ServerCertificatePath));
        var keyPin = InviteCode.KeyPin(server);
        var today = new ManualTime(DateTimeOffset.UtcNow);
        var expired = new ManualTime(new DateTimeOffset(server.NotAfter.ToUniversalTime()).AddDays(1));

        // Enrolled (CA known) and enrolling (key pin; the CA arrives with Welcome), today: accepted (control).
        Assert.True(Check(ca, server, enrolled: true, keyPin: null, revoked: null, today).Accepted);
        Assert.True(Check(ca, server, enrolled: false, keyPin, revoked: null, today).Accepted);

        foreach (var enrolled in new[] { true, false })
        {
            var afterExpiry = Check(ca, server, enrolled, enrolled ? null : keyPin, revoked: null, expired);
            Assert.False(afterExpiry.Accepted);
            Assert.Contains("expired", afterExpiry.Refusal, StringComparison.Ordinal);
        }

        var revoked = Check(ca, server, enrolled: true, keyPin: null, [server.SerialNumber.ToLowerInvariant()], today);
        Assert.False(revoked.Accepted);
        Assert.Equal(ErrorIds.ServerCertificateRevoked, revoked.RefusalId);

        var otherKey = Check(ca, server, enrolled: false, new byte[32], revoked: null, today);
        Assert.False(otherKey.Accepted);
        Assert.Equal(ErrorIds.ServerKeyMismatch, otherKey.RefusalId);
    }

    // The validator as ClientTransport drives it: the handshake callback, then, for an enrolling
    // client, the chain once Welcome brings the CA certificate.
    private static (bool Accepted, string Refusal, string RefusalId) Check(Ca ca, X509Certificate2 server, bool enrolled, byte[]? keyPin, string[]? revoked, TimeProvider time)
    {
        var validator = new OpenChat.Engine.Transport.ServerCertificateValidator(ca.Directory.Fingerprint, "localhost",
            enrolled ? ca.Directory.Certificate : null, keyPin, revoked, time);
        var accepted = validator.ValidateHandshake(X509CertificateLoader.LoadCertificate(server.RawData))
            && (enrolled || validator.Confirm(ca.Directory.Certificate));
        return (accepted, validator.LastRefusal, validator.LastRefusalId);
    }

    private static async Task<byte[]> GreetAsync(RawClient client)
    {
        await client.SendAsync(new Hello(ChatProtocol.Version, ChatProtocol.Version, "raw").ToFrame());
        var welcome = await client.Reader.ReadAsync(CancellationToken.None);
        Assert.Equal(MessageType.Welcome, welcome!.Value.Type);
        var nonce = Welcome.Read(welcome.Value.Payload.Span).Nonce;
        Assert.Equal(InviteProof.NonceLength, nonce.Length);
        return nonce;
    }

    /// <summary>What an admin does: a new server certificate (New-ChatCertificate -Server -Force),
    /// the old one revoked, the server restarted. Returns the old certificate with its key, as
    /// whoever copied the old key would hold it.</summary>
    private static async Task<X509Certificate2> ReplaceServerCertificateAsync(ChatHarness h)
    {
        var directory = new CaDirectory(h.DataPath);
        var old = X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath);
        using (var ca = CertificateAuthority.Open(directory, ""))
        {
            ca.IssueServer([], [], replaceInstalled: true).Certificate.Dispose();
        }

        new CertificateRegistry(directory).Revoke(old.SerialNumber, X509RevocationReason.Superseded);
        await h.RestartAsync();
        Assert.NotEqual(old.SerialNumber, h.Server.ServerCertificate.SerialNumber);
        return old;
    }
}
