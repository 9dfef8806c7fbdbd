using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>
/// Issue 11, offline delivery: a direct message to an enrolled user none of whose devices has
/// ever been online is kept pending for them at once, survives the sender's restart, is
/// encrypted only once their device is in the conversation, and arrives when they first connect.
/// Every test runs against a real server; "at once" is a behaviour (the message is reported
/// pending, waiting for the peer, while the peer has never connected), never a timing.
/// </summary>
public class OfflineDeliveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Reads the room's messages until `count` have come, then a little longer to see no copy follows.
    private static async Task<List<SecureMessage>> ReadExactlyAsync(SecureSession session, string room, int count)
    {
        var got = new List<SecureMessage>();
        using (var deadline = new CancellationTokenSource(Patience))
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
            Assert.Fail($"one more message than sent arrived: '{extra.Text}' (#{extra.Sequence})");
        }
        catch (OperationCanceledException)
        {
        }

        return got;
    }

    [Fact]
    public async Task A_direct_message_to_someone_never_online_is_pending_for_them_at_once_and_arrives_once_in_order_when_they_first_connect()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var bobProfile = await h.EnrollAsync("bob"); // enrolled, never connected
        var alice = await h.SecureAsync(aliceProfile);

        var room = await alice.DirectRoomAsync("bob");
        Assert.Equal("@alice+bob", room);
        var queued = new[] { "first", "second", "third" }.Select(text => alice.Queue(room, text)).ToList();

        // Each is reported as waiting for bob (what Send-ChatMessage returns at once), and none
        // was sent: bob has no device that could read it.
        await Task.WhenAll(queued.Select(q => q.Deferred.WaitAsync(Patience)));
        Assert.All(queued, q => Assert.Equal((OutgoingState.Pending, "bob", false), (q.State, q.WaitingFor, q.Delivered.IsCompleted)));
        Assert.Equal(["first", "second", "third"], alice.Outgoing(room).Select(o => o.Text));
        Assert.Equal(3, alice.PendingMessages);
        Assert.DoesNotContain("bob", alice.GroupMembers(room));

        // Alice's session ends and a new one starts: the messages are still queued, still for bob.
        await alice.DisposeAsync();
        await using var aliceAgain = await h.SecureAsync(aliceProfile);
        Assert.Equal(["first", "second", "third"], aliceAgain.Outgoing(room).Select(o => o.Text));
        await Eventually.TrueAsync(() => aliceAgain.Outgoing(room).All(o => o.WaitingFor == "bob"), "the restored messages to wait for bob again", 30_000);

        // Bob connects for the first time: his device joins the conversation, and then (only
        // then) the messages are encrypted, for an epoch he is in.
        await using var bob = await h.SecureAsync(bobProfile);
        var got = await ReadExactlyAsync(bob, room, 3);
        Assert.Equal(["first", "second", "third"], got.Select(m => m.Text));
        Assert.All(got, m => Assert.Equal(("alice", true, false), (m.Sender, m.Verified, m.IsOwn)));
        Assert.Equal(got.Select(m => m.Sequence).Order(), got.Select(m => m.Sequence));
        await Eventually.TrueAsync(() => aliceAgain.PendingMessages == 0, "the outbox to empty");
        Assert.Empty(aliceAgain.Outgoing(room));
        Assert.Contains("bob", aliceAgain.GroupMembers(room));

        // And the conversation simply goes on, both ways.
        await bob.SendAsync(room, "got them");
        Assert.Equal("bob", (await SecureHarness.NextWithTextAsync(aliceAgain, "got them", 30_000)).Sender);
    }

    [Fact]
    public async Task A_message_queued_for_a_peer_is_sent_by_the_waiting_session_as_soon_as_their_device_joins()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bobProfile = await h.EnrollAsync("bob");
        var room = await alice.DirectRoomAsync("bob");
        var queued = alice.Queue(room, "waiting for you");
        await queued.Deferred.WaitAsync(Patience);
        Assert.Equal("bob", queued.WaitingFor);
        var withoutBob = alice.GroupEpoch(room);

        // The same session that queued it sends it, woken by bob's join (no restart, no retry loop).
        await using var bob = await h.SecureAsync(bobProfile);
        var sequence = await queued.Delivered.WaitAsync(Patience);
        Assert.Equal((OutgoingState.Sent, (ulong?)sequence, (string?)null), (queued.State, queued.Sequence, queued.WaitingFor));
        var got = await SecureHarness.NextWithTextAsync(bob, "waiting for you", 30_000);
        Assert.Equal((room, sequence, true), (got.Room, got.Sequence, got.Verified));
        // Encrypted in an epoch that has bob's device (his join made it), never in alice's own.
        Assert.True(got.Epoch > withoutBob, $"sent in epoch {got.Epoch}; bob was not in {withoutBob}");
    }

    [Fact]
    public async Task A_direct_message_to_someone_not_enrolled_is_refused_at_once_and_nothing_is_queued()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));

        var refused = await Assert.ThrowsAsync<OpenChatException>(() => alice.DirectRoomAsync("dave"));
        Assert.Equal(ErrorIds.UserNotFound, refused.ErrorId);
        Assert.Equal(0, alice.PendingMessages);
        Assert.Empty(alice.Outgoing());

        // Someone invited but not yet registered has no certificate: not a user either.
        h.Invite("carol");
        Assert.Equal(ErrorIds.UserNotFound, (await Assert.ThrowsAsync<OpenChatException>(() => alice.DirectRoomAsync("carol"))).ErrorId);
    }

    [Fact]
    public async Task A_message_waiting_for_someone_whose_certificate_is_revoked_before_they_ever_connect_fails_with_the_reason()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await h.EnrollAsync("bob");
        var room = await alice.DirectRoomAsync("bob");
        var queued = alice.Queue(room, "you will never read this");
        var second = alice.Queue(room, "nor this");
        await Task.WhenAll(queued.Deferred, second.Deferred).WaitAsync(Patience);

        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "bob").Single().Serial);
        // The session learns of it with its next revocation list (fetched every half minute; here at once).
        alice.AcceptRevocations(await alice.Client.FetchRevocationsAsync());

        var failed = await Assert.ThrowsAsync<OpenChatException>(() => queued.Delivered.WaitAsync(Patience));
        Assert.Equal(ErrorIds.UserNotFound, failed.ErrorId);
        Assert.Contains("revoked", failed.Message, StringComparison.Ordinal);
        Assert.Equal((OutgoingState.Failed, (string?)null), (queued.State, queued.WaitingFor));
        Assert.Equal(ErrorIds.UserNotFound, (await Assert.ThrowsAsync<OpenChatException>(() => second.Delivered.WaitAsync(Patience))).ErrorId);

        // Not dropped silently: the refusal waits in the inbox as a notice, and nothing is pending.
        var notice = await SecureHarness.NoticeAsync(alice, n => n is NotSentNotice);
        Assert.Equal((room, queued.MessageId), (notice.Room, notice.MessageId));
        Assert.Equal(ErrorIds.UserNotFound, ((NotSentNotice)notice.Notice!).ErrorId);
        await Eventually.TrueAsync(() => alice.PendingMessages == 0, "the outbox to empty");

        // A new message to bob is refused at once.
        Assert.Equal(ErrorIds.UserNotFound, (await Assert.ThrowsAsync<OpenChatException>(() => alice.DirectRoomAsync("bob"))).ErrorId);
    }

    [Fact]
    public async Task A_message_waiting_for_someone_revoked_while_the_sender_was_away_fails_when_the_sender_comes_back()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        await h.EnrollAsync("bob");
        var alice = await h.SecureAsync(aliceProfile);
        var room = await alice.DirectRoomAsync("bob");
        await alice.Queue(room, "kept for bob").Deferred.WaitAsync(Patience);
        await alice.DisposeAsync();

        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "bob").Single().Serial);

        await using var aliceAgain = await h.SecureAsync(aliceProfile);
        var notice = await SecureHarness.NoticeAsync(aliceAgain, n => n is NotSentNotice, 30_000);
        Assert.Equal(("kept for bob", ErrorIds.UserNotFound), (((NotSentNotice)notice.Notice!).Preview, ((NotSentNotice)notice.Notice!).ErrorId));
        await Eventually.TrueAsync(() => aliceAgain.PendingMessages == 0, "the outbox to empty");
    }
}
