using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

public class DeliveryTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Enrolled_users_chat_in_a_room_in_order()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");

        var seq1 = await alice.PublishAsync("ops", Text("one"));
        var seq2 = await bob.PublishAsync("ops", Text("two"));
        Assert.Equal(seq1 + 1, seq2);

        foreach (var client in new[] { alice, bob })
        {
            var first = await Eventually.NextAsync(client);
            var second = await Eventually.NextAsync(client);
            Assert.Equal(("one", "alice", 1UL), (Encoding.UTF8.GetString(first.Body), first.Sender, first.Sequence));
            Assert.Equal(("two", "bob", 2UL), (Encoding.UTF8.GetString(second.Body), second.Sender, second.Sequence));
        }
    }

    [Fact]
    public async Task A_late_joiner_receives_history_from_the_beginning_or_from_a_sequence()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        await alice.CreateRoomAsync("ops");
        for (var i = 1; i <= 5; i++)
        {
            await alice.PublishAsync("ops", Text($"m{i}"));
        }

        var bob = await h.UserAsync("bob");
        await bob.JoinAsync("ops");
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal($"m{i}", Encoding.UTF8.GetString((await Eventually.NextAsync(bob)).Body));
        }

        var carol = await h.UserAsync("carol");
        await carol.JoinAsync("ops", fromSequence: 4);
        Assert.Equal(4UL, (await Eventually.NextAsync(carol)).Sequence);
        Assert.Equal(5UL, (await Eventually.NextAsync(carol)).Sequence);
    }

    [Fact]
    public async Task Non_members_cannot_publish_or_read_history()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var mallory = await h.UserAsync("mallory");
        await alice.CreateRoomAsync("ops");
        var e = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", Text("hi")));
        Assert.Equal(ErrorIds.NotAMember, e.ErrorId);
        var members = await Assert.ThrowsAsync<OpenChatException>(() => mallory.ListMembersAsync("ops"));
        Assert.Equal(ErrorIds.NotAMember, members.ErrorId);
    }

    // "Ops" is no longer refused: capitals are folded (RoomCreationTests, MissingRoomTests).
    [Theory]
    [InlineData("\u212Aey")]
    [InlineData("#ops")]
    [InlineData("a b")]
    [InlineData("")]
    public async Task Invalid_room_names_are_refused(string room)
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.JoinAsync(room));
        Assert.Equal(ErrorIds.RoomNameInvalid, e.ErrorId);
        Assert.Empty(await alice.ListRoomsAsync());
    }

    [Fact]
    public async Task Direct_messages_reach_only_the_two_members()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        var carol = await h.UserAsync("carol");
        var dm = await alice.OpenDirectAsync("bob");
        Assert.Equal(RoomKind.Direct, dm.Kind);
        await alice.PublishAsync(dm.Name, Text("psst"));

        var received = await Eventually.NextAsync(bob);
        Assert.Equal((dm.Name, "psst"), (received.Room, Encoding.UTF8.GetString(received.Body)));

        var join = await Assert.ThrowsAsync<OpenChatException>(() => carol.JoinAsync(dm.Name));
        Assert.Equal(ErrorIds.NotAMember, join.ErrorId);
        Assert.DoesNotContain(await carol.ListRoomsAsync(), r => r.Name == dm.Name);
        var unknown = await Assert.ThrowsAsync<OpenChatException>(() => alice.OpenDirectAsync("nobody-here"));
        Assert.Equal(ErrorIds.UserNotFound, unknown.ErrorId);
    }

    [Fact]
    public async Task Presence_shows_online_and_away_since()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bobProfile = await h.EnrollAsync("bob");
        var bob = await h.ConnectAsync(bobProfile);
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        var members = await alice.ListMembersAsync("ops");
        Assert.All(members, m => Assert.True(m.Online));

        await bob.DisposeAsync();
        IReadOnlyList<MemberInfo> after = [];
        await Eventually.TrueAsync(() =>
        {
            after = alice.ListMembersAsync("ops").GetAwaiter().GetResult();
            return after.Single(m => m.UserName == "bob") is { Online: false, AwaySince: not null };
        }, "bob shown away");
        Assert.True(after.Single(m => m.UserName == "alice").Online);
    }

    [Fact]
    public async Task Rooms_are_listed_and_left()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        await alice.CreateRoomAsync("ops");
        await alice.CreateRoomAsync("dev");
        Assert.Equal(["dev", "ops"], (await alice.ListRoomsAsync()).Select(r => r.Name));
        await alice.LeaveAsync("dev");
        var dev = (await alice.ListRoomsAsync()).Single(r => r.Name == "dev");
        Assert.False(dev.Joined);
        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.PublishAsync("dev", Text("x")));
        Assert.Equal(ErrorIds.NotAMember, e.ErrorId);
    }

    [Fact]
    public async Task A_dropped_connection_resumes_without_loss_or_duplicates()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        await alice.PublishAsync("ops", Text("before"));
        Assert.Equal("before", Encoding.UTF8.GetString((await Eventually.NextAsync(bob)).Body));

        bob.DropConnection();
        for (var i = 0; i < 20; i++)
        {
            await alice.PublishAsync("ops", Text($"while-away-{i}"));
        }

        var seen = new List<ulong>();
        for (var i = 0; i < 20; i++)
        {
            seen.Add((await Eventually.NextAsync(bob)).Sequence);
        }

        Assert.Equal(Enumerable.Range(2, 20).Select(i => (ulong)i), seen);
        Assert.False(bob.TryReceive(out _));
    }

    [Fact]
    public async Task A_resent_message_is_stored_once()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        await alice.CreateRoomAsync("ops");
        var id = Guid.NewGuid();
        var first = await alice.PublishAsync("ops", Text("once"), messageId: id);
        var again = await alice.PublishAsync("ops", Text("once"), messageId: id);
        Assert.Equal(first, again);
        Assert.Equal(1, h.Server.GetStatistics().MessagesStored);
        Assert.Equal(first, (await Eventually.NextAsync(alice)).Sequence);
        await alice.PublishAsync("ops", Text("next"));
        Assert.Equal(first + 1, (await Eventually.NextAsync(alice)).Sequence);
    }

    [Fact]
    public async Task Messages_sent_while_disconnected_are_delivered_after_reconnect()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        await alice.CreateRoomAsync("ops");
        alice.DropConnection();
        var pending = alice.PublishAsync("ops", Text("queued"));
        var seq = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1UL, seq);
        Assert.Equal(0, alice.PendingOutgoing);
    }

    [Fact]
    public async Task Revocation_closes_live_sessions_and_refuses_reconnects()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bobProfile = await h.EnrollAsync("bob");
        var bob = await h.ConnectAsync(bobProfile);
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");

        var closed = new TaskCompletionSource<string>();
        bob.StateChanged += (_, e) =>
        {
            if (e.State == OpenChat.Engine.Client.ChatClientState.Closed)
            {
                closed.TrySetResult(e.Reason);
            }
        };
        var registry = new OpenChat.Engine.Pki.CertificateRegistry(new OpenChat.Engine.Pki.CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "bob").Single().Serial);

        Assert.Equal(ErrorIds.CertificateRevoked, await closed.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        var e = await Assert.ThrowsAsync<OpenChatException>(() => h.ConnectAsync(bobProfile));
        Assert.Equal(ErrorIds.ConnectionRefused, e.ErrorId);
        // Alice is unaffected.
        await alice.PublishAsync("ops", Text("still here"));
    }

    [Fact]
    public async Task A_commit_on_a_stale_epoch_is_refused()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        var joined = await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        Assert.Equal(0UL, joined.Epoch);
        await SignedCommits.PublishPackageAsync(alice, "ops");
        await SignedCommits.PublishPackageAsync(bob, "ops");
        await alice.PublishAsync("ops", SignedCommits.For(alice, "ops", OpenChat.Engine.Group.CommitReason.Create), EventKind.Commit, epoch: 0);
        var e = await Assert.ThrowsAsync<OpenChatException>(() => bob.PublishAsync("ops", SignedCommits.For(bob, "ops", OpenChat.Engine.Group.CommitReason.Create), EventKind.Commit, epoch: 0));
        Assert.Equal(ErrorIds.StaleEpoch, e.ErrorId);
        await bob.PublishAsync("ops", SignedCommits.For(bob, "ops", OpenChat.Engine.Group.CommitReason.Join), EventKind.Commit, epoch: 1);
        Assert.Equal(2UL, (await bob.JoinAsync("ops")).Epoch);
    }

    [Fact]
    public async Task Messages_survive_a_server_restart_and_sequences_continue()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var alice = await h.ConnectAsync(profile);
        await alice.CreateRoomAsync("ops");
        await alice.PublishAsync("ops", Text("a"));
        await alice.PublishAsync("ops", Text("b"));
        await h.RestartAsync();
        await Eventually.TrueAsync(() => alice.State == OpenChat.Engine.Client.ChatClientState.Connected && h.Server.GetStatistics().Connections == 1, "reconnected");
        Assert.Equal(3UL, await alice.PublishAsync("ops", Text("c")));
        Assert.Equal(3, h.Server.GetStatistics().MessagesStored);
    }
}
