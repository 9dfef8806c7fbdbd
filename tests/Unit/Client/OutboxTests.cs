using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>
/// Issue 9, items 8 and 9: nothing the user has not seen leaves the inbox, and nothing sent while
/// the server is away is lost or stored twice. Every test runs against a real server that is
/// stopped and started again on the same data directory and port.
/// </summary>
public class OutboxTests
{
    // Two users in "ops", the second having read the first's "before"; the first's profile too.
    private static async Task<(ChatProfile SenderProfile, SecureSession Sender, SecureSession Receiver)> SenderAndReceiverAsync(ChatHarness h)
    {
        var senderProfile = await h.EnrollAsync("alice");
        var sender = await h.SecureAsync(senderProfile);
        var receiver = await h.SecureAsync(await h.EnrollAsync("bob"));
        await sender.CreateRoomAsync("ops");
        await receiver.EnterAsync("ops");
        await sender.SendAsync("ops", "before");
        Assert.Equal("before", (await SecureHarness.NextWithTextAsync(receiver, "before")).Text);
        return (senderProfile, sender, receiver);
    }

    // Reads messages of a room until `count` have come, then waits a little more to see that no
    // copy and nothing else follows.
    private static async Task<List<SecureMessage>> ReadExactlyAsync(SecureSession session, string room, int count, int timeoutMs = 30_000)
    {
        var got = new List<SecureMessage>();
        using (var deadline = new CancellationTokenSource(timeoutMs))
        {
            while (got.Count < count)
            {
                got.Add(await session.ReceiveAsync(deadline.Token, m => !m.IsNotice && m.Room == room));
            }
        }

        using var quiet = new CancellationTokenSource(1500);
        try
        {
            var extra = await session.ReceiveAsync(quiet.Token, m => !m.IsNotice && m.Room == room);
            Assert.Fail($"one more message than sent arrived: '{extra.Text}' (#{extra.Sequence} {extra.MessageId} epoch {extra.Epoch}) after {string.Join(", ", got.Select(m => $"'{m.Text}' #{m.Sequence} {m.MessageId} epoch {m.Epoch}"))}");
        }
        catch (OperationCanceledException)
        {
        }

        return got;
    }

    private static List<string> FilesContaining(string directory, string text)
    {
        var needles = new[] { Encoding.UTF8.GetBytes(text), Encoding.Unicode.GetBytes(text) };
        // session.lock (empty) is held exclusively while a session is connected.
        return Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(".lock", StringComparison.Ordinal))
            .Where(file =>
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                var bytes = copy.ToArray();
                return needles.Any(n => bytes.AsSpan().IndexOf(n) >= 0);
            })
            .Select(Path.GetFileName).ToList()!;
    }

    [Fact]
    public async Task Counting_unread_and_reading_one_room_never_consumes_the_messages_of_another()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var alice = await h.SecureAsync(aliceProfile);
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await bob.SendAsync("ops", "in ops");

        // While alice "looks at" ops (as Enter-ChatRoom does), bob writes to her directly.
        var dm = await bob.OpenDirectAsync("alice");
        await bob.SendAsync(dm.Name, "unread while you look at ops");
        await Eventually.TrueAsync(() => alice.UnreadCounts().GetValueOrDefault(dm.Name) == 1, "the direct message counted as unread");

        var shown = new List<SecureMessage>();
        for (var round = 0; round < 20; round++)
        {
            while (alice.TryReceive(out var m, x => x.Room == "ops"))
            {
                shown.Add(m!);
            }

            Assert.Equal(1, alice.UnreadCounts().GetValueOrDefault(dm.Name));
            await Task.Delay(20);
        }

        Assert.Contains(shown, m => m.Text == "in ops");
        Assert.DoesNotContain(shown, m => m.Room == dm.Name);
        Assert.Equal(0, alice.UnreadCounts().GetValueOrDefault("ops"));

        // Closing the view (here: the whole session) keeps it, for the next session...
        await alice.DisposeAsync();
        await using var again = await h.SecureAsync(aliceProfile);
        Assert.Equal(1, again.UnreadCounts().GetValueOrDefault(dm.Name));
        Assert.False(again.TryReceive(out _, x => x.Room == "ops"));

        // ...where opening that room (or Receive-ChatMessage) returns it, once.
        Assert.True(again.TryReceive(out var kept, x => x.Room == dm.Name && !x.IsNotice));
        Assert.Equal(("bob", "unread while you look at ops", true), (kept!.Sender, kept.Text, kept.Verified));
        Assert.Equal(0, again.UnreadCounts().GetValueOrDefault(dm.Name));
        Assert.False(again.TryReceive(out _, x => x.Room == dm.Name && !x.IsNotice));
    }

    [Fact]
    public async Task The_server_stopped_and_restarted_under_a_connected_sender_gets_every_message_sent_meanwhile_once_in_order()
    {
        const int count = 25;
        await using var h = await ChatHarness.StartAsync();
        var (_, alice, bob) = await SenderAndReceiverAsync(h);
        await using var aliceSession = alice;
        await using var bobSession = bob;

        await h.StopServerAsync();
        await Eventually.TrueAsync(() => alice.Client.State == ChatClientState.Reconnecting, "the sender noticed the server is gone");

        var queued = new List<OutgoingMessage>();
        for (var i = 1; i <= count; i++)
        {
            var outgoing = alice.Queue("ops", $"while the server was down {i}");
            // Returned at once, marked pending: nothing waits for the server.
            await outgoing.Deferred.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(OutgoingState.Pending, outgoing.State);
            Assert.False(outgoing.Delivered.IsCompleted);
            queued.Add(outgoing);
        }

        Assert.Equal(count, alice.PendingMessages);
        Assert.Equal(queued.Select(q => q.MessageId), alice.Outgoing("ops").Select(o => o.MessageId));

        await h.StartServerAgainAsync();
        var sequences = await Task.WhenAll(queued.Select(q => q.Delivered.WaitAsync(TimeSpan.FromSeconds(60))));
        Assert.Equal(sequences.Order(), sequences);
        // The count also holds the session's own publishes (a key package after the reconnect, say)
        // until their acknowledgement, which may come just after the last message's.
        await Eventually.TrueAsync(() => alice.PendingMessages == 0, "nothing left pending");
        Assert.All(queued, q => Assert.Equal(OutgoingState.Sent, q.State));

        var got = await ReadExactlyAsync(bob, "ops", count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"while the server was down {i}"), got.Select(m => m.Text));
        Assert.All(got, m => Assert.True(m.Verified && m.Sender == "alice"));
        Assert.Equal(sequences, got.Select(m => m.Sequence));
    }

    [Fact]
    public async Task SendAsync_while_the_server_is_down_does_not_fail_and_completes_once_it_is_back()
    {
        await using var h = await ChatHarness.StartAsync();
        var (_, alice, bob) = await SenderAndReceiverAsync(h);
        await using var aliceSession = alice;
        await using var bobSession = bob;
        var port = h.Server.Endpoint.Port;

        await h.Server.StopAsync();
        await Eventually.TrueAsync(() => alice.Client.State == ChatClientState.Reconnecting, "the sender noticed the server is gone");
        var sending = alice.SendAsync("ops", "sent into the outage");
        await Task.Delay(500);
        Assert.False(sending.IsFaulted, sending.Exception?.InnerException?.Message);

        await using var again = await OpenChat.Engine.Server.ChatServer.StartAsync(h.DataPath, new OpenChat.Engine.Server.ChatServerOptions { Port = port });
        var sequence = await sending.WaitAsync(TimeSpan.FromSeconds(30));
        var got = await ReadExactlyAsync(bob, "ops", 1);
        Assert.Equal(("sent into the outage", sequence), (got[0].Text, got[0].Sequence));
    }

    [Fact]
    public async Task The_outbox_survives_a_restart_of_the_sender_encrypted_and_goes_once_in_order_when_the_server_is_back()
    {
        const int count = 10;
        const string canary = "CANARY-outbox-5d1c";
        await using var h = await ChatHarness.StartAsync();
        var (aliceProfile, alice, bob) = await SenderAndReceiverAsync(h);
        await using var bobSession = bob;

        await h.StopServerAsync();
        await Eventually.TrueAsync(() => alice.Client.State == ChatClientState.Reconnecting, "the sender noticed the server is gone");
        for (var i = 1; i <= count; i++)
        {
            Assert.Equal(OutgoingState.Pending, alice.Queue("ops", $"{canary} {i}").State);
        }

        // The sending process ends before the server is back.
        await alice.DisposeAsync();
        Assert.Empty(FilesContaining(aliceProfile.Path, canary));

        // A new process cannot connect yet; that attempt must not lose the outbox either.
        var early = await Assert.ThrowsAsync<OpenChatException>(() => h.SecureAsync(aliceProfile));
        Assert.Equal(ErrorKind.Unavailable, early.Kind);

        await h.StartServerAgainAsync();
        await using var aliceAgain = await h.SecureAsync(aliceProfile);
        Assert.Equal(count, aliceAgain.Outgoing("ops").Count);
        await Eventually.TrueAsync(() => aliceAgain.PendingMessages == 0, "the kept messages were sent", 60_000);

        var got = await ReadExactlyAsync(bob, "ops", count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"{canary} {i}"), got.Select(m => m.Text));
        Assert.All(got, m => Assert.True(m.Verified && m.Sender == "alice"));
        Assert.Empty(FilesContaining(aliceProfile.Path, canary)); // nor once they are sent
    }

    [Fact]
    public async Task A_connection_dropped_while_messages_go_out_loses_none_and_stores_none_twice()
    {
        const int count = 40;
        await using var h = await ChatHarness.StartAsync();
        var (_, alice, bob) = await SenderAndReceiverAsync(h);
        await using var aliceSession = alice;
        await using var bobSession = bob;

        var queued = new List<OutgoingMessage>();
        for (var i = 1; i <= count; i++)
        {
            queued.Add(alice.Queue("ops", $"through a drop {i}"));
            if (i % 10 == 0)
            {
                alice.Client.DropConnection();
            }
        }

        await Task.WhenAll(queued.Select(q => q.Delivered.WaitAsync(TimeSpan.FromSeconds(60))));
        var got = await ReadExactlyAsync(bob, "ops", count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"through a drop {i}"), got.Select(m => m.Text));
        Assert.Equal(queued.Select(q => q.Sequence!.Value), got.Select(m => m.Sequence));
    }

    [Fact]
    public async Task Messages_kept_while_offline_go_out_in_an_epoch_without_a_member_revoked_meanwhile()
    {
        await using var h = await ChatHarness.StartAsync();
        var (aliceProfile, alice, bob) = await SenderAndReceiverAsync(h);
        await using var bobSession = bob;
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await carol.EnterAsync("ops");
        await alice.SendAsync("ops", "carol is in");
        await SecureHarness.NextWithTextAsync(carol, "carol is in");
        await SecureHarness.NextWithTextAsync(bob, "carol is in");
        var epochBefore = alice.GroupEpoch("ops");

        await h.StopServerAsync();
        await Eventually.TrueAsync(() => alice.Client.State == ChatClientState.Reconnecting, "the sender noticed the server is gone");
        alice.Queue("ops", "kept 1");
        alice.Queue("ops", "kept 2");
        await alice.DisposeAsync();

        // While alice is away, carol's certificate is revoked.
        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "carol").Single().Serial);
        await h.StartServerAgainAsync();

        await using var aliceAgain = await h.SecureAsync(aliceProfile);
        var got = await ReadExactlyAsync(bob, "ops", 2);
        Assert.Equal(["kept 1", "kept 2"], got.Select(m => m.Text));
        Assert.All(got, m => Assert.True(m.Epoch > epochBefore, $"sent in epoch {m.Epoch}, carol was removed after {epochBefore}"));
        Assert.DoesNotContain("carol", aliceAgain.GroupMembers("ops"));
    }

    [Fact]
    public async Task A_message_refused_for_good_after_it_was_reported_pending_is_not_dropped_silently()
    {
        await using var h = await ChatHarness.StartAsync();
        var (_, alice, bob) = await SenderAndReceiverAsync(h);
        await using var aliceSession = alice;
        await using var bobSession = bob;

        await h.StopServerAsync();
        await Eventually.TrueAsync(() => alice.Client.State == ChatClientState.Reconnecting, "the sender noticed the server is gone");
        // Offline, a direct conversation is known by its name alone; the server, once back,
        // says there is no such user.
        var room = await alice.DirectRoomAsync("ghost");
        Assert.Equal("@alice+ghost", room);
        var outgoing = alice.Queue(room, "to someone who does not exist");
        await outgoing.Deferred.WaitAsync(TimeSpan.FromSeconds(5));
        await h.StartServerAgainAsync();

        var refused = await Assert.ThrowsAsync<OpenChatException>(() => outgoing.Delivered.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ErrorIds.UserNotFound, refused.ErrorId);
        Assert.Equal(OutgoingState.Failed, outgoing.State);
        var notice = await SecureHarness.NoticeAsync(alice, n => n is NotSentNotice);
        Assert.Equal((room, true, outgoing.MessageId), (notice.Room, notice.IsOwn, notice.MessageId));
        Assert.Equal("to someone who does not exist", ((NotSentNotice)notice.Notice!).Preview);
        Assert.Equal(ErrorIds.UserNotFound, ((NotSentNotice)notice.Notice!).ErrorId);
        Assert.Equal(0, alice.PendingMessages);

        // Nothing else of hers is held up by it.
        await alice.SendAsync("ops", "after the refusal");
        await SecureHarness.NextWithTextAsync(bob, "after the refusal");
    }
}

/// <summary>A direct conversation opened while the peer's session was reconnecting was announced
/// to nobody there: the peer looks for it once connected again (found by a fresh-clone run).</summary>
public class ReconnectingPeerTests
{
    [Fact]
    public async Task A_direct_conversation_opened_while_the_peer_was_cut_off_reaches_the_peer_when_it_is_back()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var relay = new TcpRelay(h.Server.Endpoint.Port);
        await using var bob = await SecureSession.ConnectAsync(await h.EnrollAsync("bob"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), Server = relay.Address });
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "hello");
        await SecureHarness.NextWithTextAsync(bob, "hello");

        relay.Cut();
        await Eventually.TrueAsync(() => bob.Client.State == ChatClientState.Reconnecting, "bob's session to notice");
        // Alice knows bob's device from ops, so her message is readable for him at once.
        await alice.SendAsync(RoomNames.Direct("alice", "bob"), "while you were away");
        relay.Start();

        var got = await SecureHarness.NextWithTextAsync(bob, "while you were away", 30_000);
        Assert.Equal("alice", got.Sender);
    }
}

/// <summary>Unread messages are kept until read, but not without bound (found in review: a member
/// of a room this device never reads could grow its memory and state file without end).</summary>
public class UnreadBoundTests
{
    [Fact]
    public async Task Past_the_bound_the_oldest_unread_messages_of_a_room_are_dropped_and_the_user_is_told()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await SecureSession.ConnectAsync(await h.EnrollAsync("bob"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), MaxUnreadPerRoom = 5 });
        await alice.CreateRoomAsync("noise");
        await bob.EnterAsync("noise");
        ulong last = 0;
        for (var i = 1; i <= 12; i++)
        {
            last = await alice.SendAsync("noise", $"noise {i}");
        }

        await Eventually.TrueAsync(() => bob.ProcessedThrough("noise") >= last, "bob to have received all twelve");
        // The inbox keeps the newest five; all twelve are in the history, and unread until read.
        Assert.Equal(12, bob.UnreadCounts().GetValueOrDefault("noise"));
        Assert.Equal(12, bob.GetHistory(new HistoryQuery { Room = "noise" }).Count(m => !m.IsNotice));
        var all = new List<SecureMessage>();
        while (bob.TryReceive(out var m))
        {
            all.Add(m!);
        }

        Assert.Equal(["noise 8", "noise 9", "noise 10", "noise 11", "noise 12"], all.Where(m => !m.IsNotice && m.Room == "noise").Select(m => m.Text));
        Assert.Contains(all, m => m.IsNotice && m.Notice is UnreadDroppedNotice { MaxMessages: 5 });
        Assert.Equal(0, bob.UnreadCounts().GetValueOrDefault("noise"));
    }
}
