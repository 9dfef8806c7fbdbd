using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>A client's bytes never crash or stall the server or other clients.</summary>
public class BadInputTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Alice and bob chat in "ops"; returns them for a check after the attack.</summary>
    private static async Task<(OpenChat.Engine.Client.ChatClient Alice, OpenChat.Engine.Client.ChatClient Bob)> BystandersAsync(ChatHarness h)
    {
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        return (alice, bob);
    }

    private static async Task StillChattingAsync(OpenChat.Engine.Client.ChatClient alice, OpenChat.Engine.Client.ChatClient bob, string text)
    {
        await alice.PublishAsync("ops", Text(text));
        while (true)
        {
            var e = await Eventually.NextAsync(bob);
            if (Encoding.UTF8.GetString(e.Body) == text)
            {
                return;
            }
        }
    }

    [Fact]
    public async Task An_oversized_length_prefix_closes_only_that_connection()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await BystandersAsync(h);
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory"));
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x7FFFFFFF);
        header[4] = (byte)MessageType.Publish;
        await raw.SendAsync(header);
        Assert.Equal(ErrorIds.ProtocolViolation, await raw.ReadUntilClosedAsync());
        await StillChattingAsync(alice, bob, "after oversized");
    }

    [Fact]
    public async Task A_truncated_frame_then_close_is_handled()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await BystandersAsync(h);
        var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory"));
        var frame = new Publish(1, "ops", Guid.NewGuid(), EventKind.Chat, 0, new byte[100]).ToFrame();
        await raw.SendAsync(frame.AsSpan(0, frame.Length / 2).ToArray());
        await raw.DisposeAsync();
        await Eventually.TrueAsync(() => h.Server.GetStatistics().Connections == 2, "truncated connection dropped");
        await StillChattingAsync(alice, bob, "after truncated");
    }

    [Fact]
    public async Task A_malformed_payload_is_a_protocol_violation()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await BystandersAsync(h);
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory"));
        // A Join whose string claims 4000 bytes but carries 3.
        await raw.SendAsync([0, 0, 0, 10, (byte)MessageType.Join, 0, 0, 0, 1, 0x0F, 0xA0, (byte)'o', (byte)'p', (byte)'s']);
        Assert.Equal(ErrorIds.ProtocolViolation, await raw.ReadUntilClosedAsync());
        await StillChattingAsync(alice, bob, "after malformed");
    }

    [Fact]
    public async Task An_unknown_frame_type_is_a_protocol_violation()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await BystandersAsync(h);
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory"));
        await raw.SendAsync([0, 0, 0, 1, 0x7E]);
        Assert.Equal(ErrorIds.ProtocolViolation, await raw.ReadUntilClosedAsync());
        await raw.DisposeAsync();
        await using var second = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory2"));
        await second.SendAsync(new Welcome(1, "x", "y", "z", "", []).ToFrame()); // a server-to-client type
        Assert.Equal(ErrorIds.ProtocolViolation, await second.ReadUntilClosedAsync());
        await StillChattingAsync(alice, bob, "after unknown");
    }

    [Fact]
    public async Task Garbage_before_the_handshake_is_dropped()
    {
        await using var h = await ChatHarness.StartAsync(o => o.HandshakeTimeout = TimeSpan.FromSeconds(2));
        var (alice, bob) = await BystandersAsync(h);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", h.Server.Endpoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + new string('x', 5000)));
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(5000);
        try
        {
            while (await stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
        }

        Assert.False(cts.IsCancellationRequested, "the server should close the connection, not leave it hanging");
        await StillChattingAsync(alice, bob, "after garbage");
    }

    [Fact]
    public async Task A_silent_connection_is_closed_by_the_handshake_timeout()
    {
        await using var h = await ChatHarness.StartAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", h.Server.Endpoint.Port);
        using var cts = new CancellationTokenSource(5000);
        var read = await tcp.GetStream().ReadAsync(new byte[16], cts.Token);
        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Hello_must_come_first_and_versions_must_overlap()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("mallory");
        await using (var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile, hello: false))
        {
            await raw.SendAsync(new Ping(1).ToFrame());
            Assert.Equal(ErrorIds.ProtocolViolation, await raw.ReadUntilClosedAsync());
        }

        await using (var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile, hello: false))
        {
            await raw.SendAsync(new Hello((ushort)(ChatProtocol.Version + 1), (ushort)(ChatProtocol.Version + 3), "future").ToFrame());
            Assert.Equal(ErrorIds.VersionUnsupported, await raw.ReadUntilClosedAsync());
        }
    }

    [Fact]
    public async Task A_flood_is_rate_limited_and_others_keep_chatting()
    {
        await using var h = await ChatHarness.StartAsync(o =>
        {
            o.PublishesPerSecond = 50;
            o.PublishBurst = 100;
        });
        var (alice, bob) = await BystandersAsync(h);
        var profile = await h.EnrollAsync("mallory");
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
        await raw.SendAsync(new NameRequest(MessageType.CreateRoom, 1, "ops").ToFrame());
        var flood = new MemoryStream();
        for (var i = 0; i < 3000; i++)
        {
            flood.Write(new Publish((uint)i + 10, "ops", Guid.NewGuid(), EventKind.Chat, 0, new byte[32]).ToFrame());
        }

        await raw.SendAsync(flood.ToArray());
        var limited = 0;
        using var cts = new CancellationTokenSource(10_000);
        while (limited == 0 && await raw.Reader.ReadAsync(cts.Token) is { } frame)
        {
            if (frame.Type == MessageType.Error && ErrorReply.Read(frame.Payload.Span).Code == ErrorIds.RateLimited)
            {
                limited++;
            }
        }

        Assert.True(limited > 0);
        await Eventually.TrueAsync(() => h.Server.GetStatistics().MessagesStored < 3000, "stored count read");
        Assert.True(h.Server.GetStatistics().MessagesStored <= 400, $"stored {h.Server.GetStatistics().MessagesStored}");
        await StillChattingAsync(alice, bob, "after flood");
    }

    [Fact]
    public async Task Connections_without_a_certificate_get_a_small_share_of_their_own()
    {
        await using var h = await ChatHarness.StartAsync(o => o.MaxEnrollmentConnections = 2);
        var (alice, bob) = await BystandersAsync(h);
        var carolProfile = await h.EnrollAsync("carol");
        var first = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null);
        await using var second = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null);

        async Task<Frame?> GreetAsync()
        {
            var extra = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null, hello: false);
            await using (extra)
            {
                await extra.SendAsync(new Hello(ChatProtocol.Version, ChatProtocol.Version, "raw").ToFrame());
                return await extra.Reader.ReadAsync(CancellationToken.None);
            }
        }

        var refused = await GreetAsync();
        Assert.Equal(MessageType.Bye, refused?.Type);
        Assert.Equal(ErrorIds.ServerBusy, Bye.Read(refused!.Value.Payload.Span).Code);

        // Certified users are not counted against that share.
        await using var carol = await h.ConnectAsync(carolProfile);
        await StillChattingAsync(alice, bob, "while enrollments are full");

        // A closed enrollment frees its place.
        await first.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var again = await GreetAsync();
        while (again?.Type != MessageType.Welcome && DateTime.UtcNow < deadline)
        {
            again = await GreetAsync();
        }

        Assert.Equal(MessageType.Welcome, again?.Type);
    }

    [Fact]
    public async Task One_address_cannot_take_every_place_with_sockets_that_never_greet()
    {
        await using var h = await ChatHarness.StartAsync(o => o.MaxPendingPerAddress = 5);
        var aliceProfile = await h.EnrollAsync("alice");
        var flooder = IPAddress.Parse("127.0.0.2");
        var sockets = new List<Socket>();
        try
        {
            async Task<Socket> BareAsync()
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(flooder, 0));
                await socket.ConnectAsync(IPAddress.Loopback, h.Server.Endpoint.Port);
                sockets.Add(socket);
                return socket;
            }

            for (var i = 0; i < 5; i++)
            {
                await BareAsync();
            }

            // The sixth from the same address is closed at once (well before the 10 s handshake
            // timeout that would close any of them); nothing was sent on it.
            var sixth = await BareAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(4));
            Assert.Equal(0, await sixth.ReceiveAsync(new byte[16], SocketFlags.None, deadline.Token));

            // Someone else still gets in and chats.
            await using var alice = await h.ConnectAsync(aliceProfile);
            await alice.CreateRoomAsync("ops");
            Assert.True(await alice.PublishAsync("ops", Text("still open")) > 0);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_is_disconnected_and_others_keep_chatting()
    {
        await using var h = await ChatHarness.StartAsync(o => o.SendQueueFrames = 64);
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await alice.CreateRoomAsync("dev");
        await bob.JoinAsync("dev");
        var closed = new TaskCompletionSource<string>();
        h.Server.ConnectionClosed += (_, e) =>
        {
            if (e.UserName == "sloth")
            {
                closed.TrySetResult(e.Reason);
            }
        };
        await using var sloth = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("sloth"));
        await sloth.SendAsync(new NameRequest(MessageType.Join, 1, "ops").ToFrame());
        await Eventually.TrueAsync(() => alice.ListMembersAsync("ops").GetAwaiter().GetResult().Any(m => m.UserName == "sloth"), "sloth joined");

        // Published without waiting for each ack, so they are stored in large batches.
        var body = new byte[128 * 1024];
        var publishing = Task.WhenAll(Enumerable.Range(0, 400).Select(_ => alice.PublishAsync("ops", body)));
        Assert.Equal("SlowReader", await closed.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await publishing;

        await alice.PublishAsync("dev", Text("after sloth"));
        var seen = await Eventually.NextAsync(bob);
        Assert.Equal("after sloth", Encoding.UTF8.GetString(seen.Body));
    }

    [Fact]
    public async Task A_certificate_from_another_ca_gets_no_session()
    {
        await using var h = await ChatHarness.StartAsync();
        using var other = new Ca();
        using var foreign = other.Authority.IssueClient("alice").Certificate;
        using var pfx = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            foreign.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        var refused = await Record.ExceptionAsync(async () => await (await RawClient.ConnectAsync(h.Server.Endpoint.Port, pfx)).DisposeAsync());
        Assert.NotNull(refused); // the handshake or the first read fails: no Welcome for a stranger
        Assert.Equal(0, h.Server.GetStatistics().Connections);
    }

    [Fact]
    public async Task An_expired_certificate_of_this_ca_past_the_renewal_grace_period_gets_no_session()
    {
        // Within the grace period it would get a connection that may only renew (CertificateRenewalTests).
        using var temp = new TempDirectory();
        var past = new ManualTime(DateTimeOffset.UtcNow.AddDays(-10));
        var directory = OpenChat.Engine.Pki.CertificateAuthority.Create(temp.Combine("server"), "Old CA", "", time: past);
        System.Security.Cryptography.X509Certificates.X509Certificate2 pfx;
        using (var ca = OpenChat.Engine.Pki.CertificateAuthority.Open(directory, "", past))
        {
            using var expired = ca.IssueClient("oldtimer", validDays: 1).Certificate;
            pfx = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
                expired.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        }

        await using var server = await OpenChat.Engine.Server.ChatServer.StartAsync(directory.Path, new ChatServerOptions { Port = 0, RenewalGracePeriod = TimeSpan.Zero });
        var refused = await Record.ExceptionAsync(async () => await (await RawClient.ConnectAsync(server.Endpoint.Port, pfx)).DisposeAsync());
        Assert.NotNull(refused);
        Assert.Equal(0, server.GetStatistics().Connections);
        pfx.Dispose();
    }

    [Fact]
    public async Task An_enrollment_connection_can_do_nothing_but_enroll()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile: null);
        await raw.SendAsync(new NameRequest(MessageType.CreateRoom, 1, "ops").ToFrame());
        Assert.Equal(ErrorIds.NotEnrolled, await raw.ReadUntilClosedAsync());
    }

    [Fact]
    public async Task Idle_connections_are_closed()
    {
        await using var h = await ChatHarness.StartAsync(o =>
        {
            o.IdleTimeout = TimeSpan.FromMilliseconds(300);
            o.RevocationPollInterval = TimeSpan.FromMilliseconds(50);
        });
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("quiet"));
        Assert.Equal("IdleTimeout", await raw.ReadUntilClosedAsync());
    }
}
