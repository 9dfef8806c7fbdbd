using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

public class SecureSessionTests
{
    // Alice and Carol in "ops", Carol having read Alice's first message there.
    private static async Task<(SecureSession Alice, SecureSession Carol)> AliceAndCarolInOpsAsync(ChatHarness h)
    {
        var (alice, _, carol) = await TwoInOpsAsync(h, "alice", "carol");
        return (alice, carol);
    }

    // Two users in "ops", the second having read the first's first message there; the second's
    // profile is returned too, for tests that restart that session.
    private static async Task<(SecureSession First, ChatProfile SecondProfile, SecureSession Second)> TwoInOpsAsync(ChatHarness h, string first, string second)
    {
        var one = await h.SecureAsync(await h.EnrollAsync(first));
        var profile = await h.EnrollAsync(second);
        var two = await h.SecureAsync(profile);
        await one.CreateRoomAsync("ops");
        await two.EnterAsync("ops");
        await one.SendAsync("ops", "before");
        Assert.Equal("before", (await SecureHarness.NextAsync(two)).Text);
        return (one, profile, two);
    }

    [Fact]
    public async Task Two_users_chat_end_to_end_and_the_server_stores_no_plaintext()
    {
        // The server's log at its most detailed is among what must hold no plaintext.
        using var logs = new TempDirectory();
        var logPath = logs.Combine("server.jsonl");
        using var log = new OpenChat.Engine.Diagnostics.CompositeLoggerFactory(
            new OpenChat.Engine.Diagnostics.JsonLinesLoggerProvider(logPath, Microsoft.Extensions.Logging.LogLevel.Trace));
        await using var h = await ChatHarness.StartAsync(o => o.LoggerFactory = log);
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        const string canary = "CANARY-e2e-3b7f91";
        await alice.SendAsync("ops", canary + " hello");
        var received = await SecureHarness.NextAsync(bob);
        Assert.Equal((canary + " hello", "alice", true), (received.Text, received.Sender, received.Verified));
        var own = await SecureHarness.NextAsync(alice);
        Assert.Equal(canary + " hello", own.Text);

        var hex = System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower("CANARY-e2e"u8));
        var logged = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var logCopy = new MemoryStream();
        using (logged)
        {
            logged.CopyTo(logCopy);
        }

        // Control: the log is the server's, at Debug (connections and enrollments of both users).
        Assert.True(logCopy.ToArray().AsSpan().IndexOf("\"EnrollmentSucceeded\""u8) >= 0 && logCopy.ToArray().AsSpan().IndexOf("\"ConnectionOpened\""u8) >= 0,
            "the log holds the chat's events");
        foreach (var (name, content) in (await h.StoredDataAsync()).Append(("the server's log", logCopy.ToArray())))
        {
            Assert.True(content.AsSpan().IndexOf("CANARY-e2e"u8) < 0 && content.AsSpan().IndexOf(hex) < 0, $"plaintext found in {name}");
        }

        if (h.Database is not null)
        {
            // Control: the dump is the database's data (the members are stored in clear).
            var dump = (await h.StoredDataAsync()).Single(d => d.Name == "the PostgreSQL database").Content;
            Assert.True(dump.AsSpan().IndexOf("alice"u8) >= 0, "the dump holds the rooms' members");
        }
    }

    [Fact]
    public async Task A_session_whose_client_keeps_no_state_still_sends()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await SecureSession.ConnectAsync(await h.EnrollAsync("alice"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { PersistState = false });
        await alice.CreateRoomAsync("ops");
        Assert.True(await alice.SendAsync("ops", "no client state") > 0);
    }

    [Fact]
    public async Task A_session_that_cannot_start_closes_the_connection_it_opened()
    {
        // The history store refuses a file of a newer OpenChat after the client has connected:
        // neither of the state errors, so only ConnectAsync's catch-all stands between that and a
        // connection left open behind a session the caller never got.
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var firstClosed = AliceClosed(h);
        await (await h.SecureAsync(profile)).DisposeAsync();
        await firstClosed.WaitAsync(TimeSpan.FromSeconds(10));
        using (var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={OpenChat.Engine.Client.History.HistoryStore.PathIn(profile.Path)};Pooling=False"))
        {
            sqlite.Open();
            using var command = sqlite.CreateCommand();
            command.CommandText = $"PRAGMA user_version={OpenChat.Engine.Client.History.HistorySchema.Version + 1};";
            command.ExecuteNonQuery();
        }

        var closed = AliceClosed(h);
        var refused = await Assert.ThrowsAsync<OpenChatException>(() => h.SecureAsync(profile));

        Assert.Equal(ErrorIds.StoreVersionUnsupported, refused.ErrorId);
        await closed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static Task AliceClosed(ChatHarness h)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Server.ConnectionClosed += (_, e) =>
        {
            if (e.UserName == "alice")
            {
                closed.TrySetResult();
            }
        };
        return closed.Task;
    }

    [Fact]
    public async Task A_restarted_client_keeps_reading_without_repeats()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bobProfile, bob) = await TwoInOpsAsync(h, "alice", "bob");
        await using var aliceSession = alice;
        await bob.DisposeAsync();

        await alice.SendAsync("ops", "two");
        await using var bobAgain = await h.SecureAsync(bobProfile);
        await bobAgain.EnterAsync("ops");
        var next = await SecureHarness.NextAsync(bobAgain);
        Assert.Equal(("two", true), (next.Text, next.Verified));
    }

    [Fact]
    public async Task A_revoked_member_is_removed_before_the_next_message_and_cannot_read_it()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var alice = await h.SecureAsync(aliceProfile);
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await alice.CreateRoomAsync("ops");
        await carol.EnterAsync("ops");
        await alice.SendAsync("ops", "before");
        Assert.Equal("before", (await SecureHarness.NextAsync(carol)).Text);
        var epochBefore = alice.GroupEpoch("ops");

        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "carol").Single().Serial);
        // A fresh session fetches the revocation list before its first send.
        await alice.DisposeAsync();
        await using var alice2 = await h.SecureAsync(aliceProfile);
        await alice2.EnterAsync("ops");
        await alice2.SendAsync("ops", "after revocation");
        Assert.True(alice2.GroupEpoch("ops") > epochBefore, $"epoch {alice2.GroupEpoch("ops")} members {string.Join(",", alice2.GroupMembers("ops"))}");
        Assert.DoesNotContain("carol", alice2.GroupMembers("ops"));
        Assert.False(carol.TryReceive(out var leaked) && leaked!.Text == "after revocation");
    }

    [Fact]
    public async Task A_member_who_leaves_is_announced_and_removed_before_the_next_message()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, carol) = await AliceAndCarolInOpsAsync(h);
        await using var aliceSession = alice;
        await using var carolSession = carol;
        var epochBefore = alice.GroupEpoch("ops");

        await carol.LeaveAsync("ops");
        var notice = await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Left });
        Assert.Equal("carol", notice.Sender);

        await alice.SendAsync("ops", "after carol left");
        Assert.True(alice.GroupEpoch("ops") > epochBefore);
        Assert.DoesNotContain("carol", alice.GroupMembers("ops"));
    }

    [Fact]
    public async Task A_member_who_leaves_and_comes_straight_back_reads_what_follows()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await alice.CreateRoomAsync("ops");
        await carol.EnterAsync("ops");
        await carol.LeaveAsync("ops");
        await carol.EnterAsync("ops");

        await alice.SendAsync("ops", "welcome back");
        SecureMessage received;
        do
        {
            received = await SecureHarness.NextAsync(carol);
        }
        while (received.IsNotice);
        Assert.Equal(("welcome back", true), (received.Text, received.Verified));
        Assert.Contains("carol", alice.GroupMembers("ops"));
    }

    [Fact]
    public async Task A_restarted_session_can_leave_a_room_it_has_not_entered_on_this_connection()
    {
        await using var h = await ChatHarness.StartAsync();
        var carolProfile = await h.EnrollAsync("carol");
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var carol = await h.SecureAsync(carolProfile);
        await alice.CreateRoomAsync("ops");
        await carol.EnterAsync("ops");
        await carol.DisposeAsync();

        // The restarted session has the room's keys but has not entered it on this connection.
        await using var carolAgain = await h.SecureAsync(carolProfile);
        await carolAgain.LeaveAsync("ops");
        var notice = await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Left });
        Assert.Equal("carol", notice.Sender);
    }

    [Fact]
    public async Task A_key_package_relayed_by_someone_else_does_not_stop_anyone_receiving()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, carol) = await AliceAndCarolInOpsAsync(h);
        await using var aliceSession = alice;
        await using var carolSession = carol;

        // Mallory copies Alice's key package from the room's history and publishes it as her own event.
        await using var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        await mallory.JoinAsync("ops", 1);
        RoomEvent first;
        do
        {
            first = await Eventually.NextAsync(mallory);
        }
        while (first.Kind != EventKind.Key);
        await mallory.PublishAsync("ops", first.Body, EventKind.Key, 0);

        await alice.SendAsync("ops", "after the relay");
        var received = await SecureHarness.NextWithTextAsync(carol, "after the relay");
        Assert.True(received.Verified);
    }

    [Fact]
    public async Task The_servers_member_list_alone_never_removes_anyone_from_the_encryption()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, carol) = await AliceAndCarolInOpsAsync(h);
        await using var aliceSession = alice;
        await using var carolSession = carol;
        var epochBefore = alice.GroupEpoch("ops");

        // Carol vanishes from the server's member list without a word from her, which is all a
        // lying server could arrange: nobody may remove her from the group for that.
        await carol.Client.LeaveAsync("ops");
        Assert.DoesNotContain((await alice.Client.ListMembersAsync("ops")), m => m.UserName == "carol");
        await alice.SendAsync("ops", "after");
        Assert.Equal(epochBefore, alice.GroupEpoch("ops"));
        Assert.Contains("carol", alice.GroupMembers("ops"));
    }

    [Fact]
    public async Task A_revocation_list_older_than_one_seen_before_a_restart_is_refused()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var alice = await h.SecureAsync(aliceProfile);
        // The server makes (and keeps) its list now; the two below are newer than it.
        await alice.Client.FetchRevocationsAsync();
        using var authority = CertificateAuthority.Open(new CaDirectory(h.DataPath), "");
        var older = authority.CreateRevocationList(TimeSpan.FromDays(1)).Der;
        var newer = authority.CreateRevocationList(TimeSpan.FromDays(1)).Der;
        alice.AcceptRevocations(newer);
        await alice.DisposeAsync();

        await using var again = await h.SecureAsync(aliceProfile);
        // Without the saved number, both the server's own (oldest) list and this one would pass.
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => again.AcceptRevocations(older));
        again.AcceptRevocations(newer);
    }

    [Fact]
    public async Task A_new_member_is_never_silent_every_member_sees_a_notice()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await alice.CreateRoomAsync("ops");
        await using var mallory = await h.SecureAsync(await h.EnrollAsync("mallory"));
        await mallory.EnterAsync("ops");
        var notice = await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice m && (m.Actor == "mallory" || m.Members.Contains("mallory")));
        Assert.True(notice.IsNotice);
        Assert.Equal("mallory", notice.Sender);
        Assert.Equal(MembershipNoticeKind.Joined, ((MembershipNotice)notice.Notice!).Kind);
        Assert.Contains("mallory", ((MembershipNotice)notice.Notice!).Members);
    }

    [Fact]
    public async Task A_junk_commit_through_a_live_server_does_not_stall_the_room()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        // mallory speaks the protocol directly and publishes garbage as a commit on the current
        // epoch: the server refuses it before it is sequenced (CommitScreenTests has the rest).
        var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        var joined = await mallory.JoinAsync("ops");
        var refused = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", [9, 9, 9], OpenChat.Engine.Protocol.EventKind.Commit, joined.Epoch));
        Assert.Equal(ErrorIds.CommitRefused, refused.ErrorId);

        await alice.SendAsync("ops", "still readable");
        SecureMessage m;
        do
        {
            m = await SecureHarness.NextAsync(bob);
        }
        while (!m.Verified || m.Text != "still readable");
        Assert.Equal("alice", m.Sender);
    }

    [Fact]
    public async Task One_identity_cannot_be_connected_twice_at_once()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var first = await h.SecureAsync(profile);
        var e = await Assert.ThrowsAsync<OpenChatException>(() => h.SecureAsync(profile));
        Assert.Equal(ErrorIds.ProfileInUse, e.ErrorId);
        await first.DisposeAsync();
        await using var again = await h.SecureAsync(profile);
    }

    [Fact]
    public async Task A_late_joiner_reads_only_what_was_sent_after_it_joined()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await alice.CreateRoomAsync("ops");
        await alice.SendAsync("ops", "secret from before");
        await using var dave = await h.SecureAsync(await h.EnrollAsync("dave"));
        await dave.EnterAsync("ops");
        await alice.SendAsync("ops", "welcome dave");
        var first = await SecureHarness.NextAsync(dave);
        Assert.Equal("welcome dave", first.Text);
    }

    [Fact]
    public async Task Direct_messages_are_end_to_end_and_contacts_get_safety_numbers()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        var dm = await alice.OpenDirectAsync("bob");
        await alice.SendAsync(dm.Name, "just us");
        var received = await SecureHarness.NextAsync(bob);
        Assert.Equal(("just us", true, ContactTrust.Unverified), (received.Text, received.Verified, received.SenderTrust));

        var fromAlice = alice.SafetyNumber("bob");
        var fromBob = bob.SafetyNumber("alice");
        Assert.NotNull(fromAlice);
        Assert.Equal(fromAlice, fromBob);
        Assert.Matches("^(\\d{5} ){11}\\d{5}$", fromAlice!);
        Assert.Equal(ContactTrust.Verified, bob.ConfirmContact("alice").Trust);
        Assert.Equal(OpenChat.Engine.ErrorIds.UserNotFound, Assert.Throws<OpenChatException>(() => bob.ConfirmContact("nobody")).ErrorId);
    }

    [Fact]
    public async Task A_direct_message_to_someone_offline_is_readable_when_they_come_back()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bobProfile, bob) = await TwoInOpsAsync(h, "alice", "bob");
        await using var aliceSession = alice;
        await bob.DisposeAsync();

        // bob is offline; alice knows his device from ops, so the conversation can include him now.
        var dm = await alice.OpenDirectAsync("bob");
        await alice.SendAsync(dm.Name, "while you were out");

        await using var bobAgain = await h.SecureAsync(bobProfile);
        await bobAgain.EnterAsync("ops");
        var received = await SecureHarness.NextAsync(bobAgain, 20_000);
        Assert.Equal((dm.Name, "while you were out", true), (received.Room, received.Text, received.Verified));
    }

    [Fact]
    public async Task Confirming_a_safety_number_that_changed_since_it_was_shown_confirms_nothing()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await bob.SendAsync("ops", "first device");
        while ((await SecureHarness.NextAsync(alice)).Text != "first device")
        {
        }

        var shown = alice.SafetyNumber("bob");
        var changed = new TaskCompletionSource<ContactRecord>();
        alice.ContactChanged += (_, c) => changed.TrySetResult(c);
        // While alice compares the number, a second "bob" device appears.
        var (_, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("bob", server: h.Address, additionalDevice: true);
        var second = await ChatEnrollment.RegisterAsync(code.ToString(), Path.Combine(h.ProfileRoot, "laptop"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var bobLaptop = await h.SecureAsync(second);
        await bobLaptop.EnterAsync("ops");
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var refused = Assert.Throws<OpenChatException>(() => alice.ConfirmContact("bob", shown));
        Assert.Equal(ErrorIds.SafetyNumberChanged, refused.ErrorId);
        Assert.NotEqual(ContactTrust.Verified, alice.Contacts().Single(c => c.UserName == "bob").Trust);
        Assert.Equal(ContactTrust.Verified, alice.ConfirmContact("bob", alice.SafetyNumber("bob")).Trust);
    }

    [Fact]
    public async Task A_new_device_under_your_own_name_raises_a_warning_and_is_not_trusted_as_you()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await alice.CreateRoomAsync("ops");
        await alice.SendAsync("ops", "from this device");
        Assert.Equal(ContactTrust.Verified, (await SecureHarness.NextAsync(alice)).SenderTrust);

        var changed = new TaskCompletionSource<ContactRecord>();
        alice.ContactChanged += (_, c) => changed.TrySetResult(c);
        // The CA (the server) issues another "alice" certificate, and that device joins the room.
        var (_, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("alice", server: h.Address, additionalDevice: true);
        var minted = await ChatEnrollment.RegisterAsync(code.ToString(), Path.Combine(h.ProfileRoot, "minted"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var impostor = await h.SecureAsync(minted);
        await impostor.EnterAsync("ops");
        var warned = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("alice", ContactTrust.Changed), (warned.UserName, warned.Trust));

        await impostor.SendAsync("ops", "it is me, really");
        var m = await SecureHarness.NextWithTextAsync(alice, "it is me, really");
        Assert.NotEqual(ContactTrust.Verified, m.SenderTrust);
    }

    [Fact]
    public async Task A_new_device_of_a_contact_raises_a_warning()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bobProfile = await h.EnrollAsync("bob");
        await using var bob = await h.SecureAsync(bobProfile);
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await bob.SendAsync("ops", "first device");
        while ((await SecureHarness.NextAsync(alice)).Text != "first device")
        {
        }

        alice.ConfirmContact("bob");
        var changed = new TaskCompletionSource<ContactRecord>();
        alice.ContactChanged += (_, c) => changed.TrySetResult(c);
        // bob enrolls a second device (the admin allows an additional one).
        var (_, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("bob", server: h.Address, additionalDevice: true);
        var second = await ChatEnrollment.RegisterAsync(code.ToString(), Path.Combine(h.ProfileRoot, "laptop"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var bobLaptop = await h.SecureAsync(second);
        await bobLaptop.EnterAsync("ops");
        var contact = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("bob", ContactTrust.Changed, 2), (contact.UserName, contact.Trust, contact.Devices.Count));
        await bobLaptop.SendAsync("ops", "from the laptop");
        var m = await SecureHarness.NextWithTextAsync(alice, "from the laptop");
        Assert.Equal(ContactTrust.Changed, m.SenderTrust);
    }
}
