using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Time;

/// <summary>Through a live server whose CA and certificate were made a moment ago: users whose
/// devices run ten minutes fast and ten minutes slow enroll, connect, join (two of them at once,
/// racing their commits), send and read, in one group, with nobody refused.</summary>
public class ClockSkewSessionTests
{
    [Fact]
    public async Task Members_ten_minutes_fast_and_ten_minutes_slow_enroll_join_and_read_each_other_in_one_group()
    {
        await using var h = await ChatHarness.StartAsync();
        var sessions = new List<SecureSession>();
        try
        {
            var alice = await SkewedAsync(h, "alice", ClockSkew.Tolerance, sessions);
            var bob = await SkewedAsync(h, "bob", -ClockSkew.Tolerance, sessions);
            var carol = await SkewedAsync(h, "carol", TimeSpan.Zero, sessions);
            await alice.CreateRoomAsync("ops");
            await bob.EnterAsync("ops");
            await carol.EnterAsync("ops");

            // Two more, one fast and one slow, join at the same moment: their join commits race
            // for the same epoch, and the one the server refuses as stale joins after the other.
            var dave = await SkewedAsync(h, "dave", ClockSkew.Tolerance, sessions);
            var erin = await SkewedAsync(h, "erin", -ClockSkew.Tolerance, sessions);
            await Task.WhenAll(dave.EnterAsync("ops"), erin.EnterAsync("ops"));

            var texts = sessions.ToDictionary(s => s, s => $"from {s.UserName} {Guid.NewGuid():N}");
            foreach (var (session, text) in texts)
            {
                await session.SendAsync("ops", text);
            }

            foreach (var reader in sessions)
            {
                foreach (var (sender, text) in texts.Where(t => t.Key != reader))
                {
                    var message = await SecureHarness.NextWithTextAsync(reader, text);
                    Assert.True(message.Verified, $"{reader.UserName} could not verify {sender.UserName}");
                    Assert.Null(message.Problem);
                    Assert.Equal(sender.UserName, message.Sender);
                }
            }

            await Eventually.TrueAsync(() => sessions.Select(s => s.GroupEpoch("ops")).Distinct().Count() == 1, "everyone at one epoch");
            Assert.Single(sessions.Select(s => Convert.ToHexString(s.GroupCommitHash("ops"))).Distinct());
            foreach (var session in sessions)
            {
                Assert.Equal(5, session.GroupMembers("ops").Count);
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_device_twenty_minutes_slow_is_refused_a_server_certificate_issued_a_moment_ago_and_told_to_check_its_clock()
    {
        await using var h = await ChatHarness.StartAsync();
        var e = await Assert.ThrowsAsync<OpenChatException>(() => ChatEnrollment.RegisterAsync(h.Invite("alice"), h.ProfileRoot, ReadOnlyMemory<char>.Empty,
            TimeSpan.FromSeconds(10), CancellationToken.None, new SkewedTime(TimeSpan.FromMinutes(-20))));
        Assert.Equal(ErrorIds.ServerNotTrusted, e.ErrorId);
        Assert.Contains("check this machine's clock", e.Message);
    }

    [Fact]
    public async Task A_server_and_its_clients_judge_certificates_at_their_injected_clocks_not_the_machines()
    {
        // Two days ahead of the machine: every certificate starts "in the future" by the machine's
        // clock, so any check that read it instead of the TimeProvider would refuse.
        var ahead = new SkewedTime(TimeSpan.FromDays(2));
        await using var h = await ChatHarness.StartAsync(o => o.Time = ahead);
        var alice = await SecureSession.ConnectAsync(await EnrollAsync(h, "alice", ahead), ReadOnlyMemory<char>.Empty, Options(ahead));
        await using var bob = await SecureSession.ConnectAsync(await EnrollAsync(h, "bob", ahead), ReadOnlyMemory<char>.Empty, Options(ahead));
        await using (alice)
        {
            await alice.CreateRoomAsync("ops");
            await bob.EnterAsync("ops");
            await alice.SendAsync("ops", "two days from now");
            Assert.True((await SecureHarness.NextWithTextAsync(bob, "two days from now")).Verified);
        }
    }

    [Fact]
    public async Task A_device_twenty_minutes_slow_keeps_the_certificate_it_enrolled_for_and_chats_once_the_servers_certificate_has_started_for_it()
    {
        var server = new SkewedTime(TimeSpan.Zero);
        await using var h = await ChatHarness.StartAsync(o => o.Time = server);
        // Half an hour on, the server's certificate started long ago for everyone, but the one it
        // issues now starts fifteen minutes back: after the clock of a device twenty minutes slow.
        server.Offset = TimeSpan.FromMinutes(30);
        var slow = new SkewedTime(TimeSpan.FromMinutes(10));
        var profile = await EnrollAsync(h, "alice", slow);
        using (var issued = profile.LoadPublicCertificate())
        {
            Assert.True(issued.NotBefore.ToUniversalTime() > slow.GetUtcNow().UtcDateTime);
        }

        await using var alice = await SecureSession.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, Options(slow));
        await using var bob = await SecureSession.ConnectAsync(await EnrollAsync(h, "bob", server), ReadOnlyMemory<char>.Empty, Options(server));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "my clock is behind");
        Assert.True((await SecureHarness.NextWithTextAsync(bob, "my clock is behind")).Verified);
        await bob.SendAsync("ops", "read you");
        Assert.True((await SecureHarness.NextWithTextAsync(alice, "read you")).Verified);
    }

    private static async Task<SecureSession> SkewedAsync(ChatHarness h, string user, TimeSpan offset, List<SecureSession> sessions)
    {
        var time = new SkewedTime(offset);
        var session = await SecureSession.ConnectAsync(await EnrollAsync(h, user, time), ReadOnlyMemory<char>.Empty, Options(time));
        sessions.Add(session);
        return session;
    }

    private static Task<ChatProfile> EnrollAsync(ChatHarness h, string user, TimeProvider time) =>
        ChatEnrollment.RegisterAsync(h.Invite(user), h.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None, time);

    private static ChatClientOptions Options(TimeProvider time) => new() { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), Time = time };

    /// <summary>This machine's clock off by a fixed amount (timers run as the machine's do).</summary>
    private sealed class SkewedTime(TimeSpan offset) : TimeProvider
    {
        public TimeSpan Offset { get; set; } = offset;

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
    }
}
