using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>The room side (router, directory, presence, history, fan-out) driven through
/// in-memory channels and a real SQLite store: no TLS, no sockets.</summary>
public sealed class RoomSideTests : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SqliteMessageStore _store;
    private readonly RecordingLoggerFactory _logs = new();
    private readonly RoomHub _hub;

    public RoomSideTests()
    {
        Directory.CreateDirectory(_temp.Path);
        _store = new SqliteMessageStore(_temp.Combine(SqliteMessageStore.FileName));
        _hub = new RoomHub(_store, new ChatServerOptions { LoggerFactory = _logs }, _ => true, () => [], _ => false);
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _store.Dispose();
        _temp.Dispose();
    }

    private TestChannel Connect(string user)
    {
        var channel = new TestChannel(user, Guid.NewGuid().ToString("N"));
        _hub.Connected(channel);
        return channel;
    }

    // Rooms are created on purpose: the first member of each test creates it.
    private async Task CreateAsync(TestChannel channel, string room)
    {
        await _hub.HandleAsync(channel, TestChannel.FrameOf(new NameRequest(MessageType.CreateRoom, 1, room)));
        await channel.WaitForAsync<Joined>(j => j.Room == room);
    }

    private async Task JoinAsync(TestChannel channel, string room)
    {
        await _hub.HandleAsync(channel, TestChannel.FrameOf(new NameRequest(MessageType.Join, 1, room)));
        await channel.WaitForAsync<Joined>(j => j.Room == room);
    }

    private static Publish Chat(uint tag, string room) => new(tag, room, Guid.CreateVersion7(), EventKind.Chat, 0, [1, 2, 3]);

    [Fact]
    public async Task A_published_message_reaches_the_other_member_and_the_sender_gets_its_ack()
    {
        var alice = Connect("alice");
        var bob = Connect("bob");
        await CreateAsync(alice, "ops");
        await JoinAsync(bob, "ops");

        var publish = Chat(7, "ops");
        await _hub.HandleAsync(alice, TestChannel.FrameOf(publish));

        var ack = await alice.WaitForAsync<Ack>(a => a.Tag == 7);
        var received = await bob.WaitForAsync<RoomEvent>(e => e.MessageId == publish.MessageId);
        Assert.Equal(publish.MessageId, ack.MessageId);
        Assert.Equal(ack.Sequence, received.Sequence);
        Assert.Equal("alice", received.Sender);
        Assert.Equal(publish.Body, received.Body);
        // The sender receives the event before the ack that acknowledges it.
        var own = alice.Received.ToList();
        Assert.True(own.FindIndex(m => m is RoomEvent e && e.MessageId == publish.MessageId) < own.IndexOf(ack));
    }

    [Fact]
    public async Task A_non_member_cannot_publish_into_a_room_and_is_told_so()
    {
        var alice = Connect("alice");
        var mallory = Connect("mallory");
        await CreateAsync(alice, "ops");

        await _hub.HandleAsync(mallory, TestChannel.FrameOf(Chat(9, "ops")));

        var refusal = await mallory.WaitForAsync<ErrorReply>(e => e.Tag == 9);
        Assert.Equal(ErrorIds.NotAMember, refusal.Code);
        Assert.DoesNotContain(alice.Received, m => m is RoomEvent);
    }

    [Fact]
    public async Task History_is_read_from_the_store_for_a_member()
    {
        var alice = Connect("alice");
        await CreateAsync(alice, "ops");
        for (uint tag = 10; tag < 13; tag++)
        {
            await _hub.HandleAsync(alice, TestChannel.FrameOf(Chat(tag, "ops")));
            await alice.WaitForAsync<Ack>(a => a.Tag == tag);
        }

        var late = Connect("bob");
        await JoinAsync(late, "ops");
        await _hub.HandleAsync(late, TestChannel.FrameOf(new HistoryRequest(20, "ops", 1, 100)));

        var end = await late.WaitForAsync<HistoryEnd>(h => h.Tag == 20);
        Assert.Equal(3UL, end.LastSent);
        Assert.Equal([1UL, 2UL, 3UL], late.Received.OfType<RoomEvent>().Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_member_added_or_removed_by_another_writer_counts_once_the_room_is_invalidated()
    {
        var alice = Connect("alice");
        await CreateAsync(alice, "ops");
        using (var other = new SqliteMessageStore(_temp.Combine(SqliteMessageStore.FileName)))
        {
            other.AddMember("ops", "Carol");
            other.RemoveMember("ops", "alice");
        }

        Assert.False(_hub.Directory.Find("ops")!.IsMember("carol"));

        _hub.Directory.Invalidate("ops");

        var room = _hub.Directory.Find("ops")!;
        Assert.True(room.IsMember("carol"));
        Assert.False(room.IsMember("alice"));
        Assert.DoesNotContain("ops", alice.Subscriptions.Keys);
        await _hub.HandleAsync(alice, TestChannel.FrameOf(Chat(5, "ops")));
        Assert.Equal(ErrorIds.NotAMember, (await alice.WaitForAsync<ErrorReply>(e => e.Tag == 5)).Code);
    }

    [Fact]
    public async Task A_request_past_the_channels_budget_is_refused_as_rate_limited_and_logged()
    {
        var alice = Connect("alice");
        alice.Requests = new TokenBucket(0, 1);
        await CreateAsync(alice, "ops");

        await _hub.HandleAsync(alice, TestChannel.FrameOf(new NameRequest(MessageType.ListRooms, 4, "")));

        Assert.Equal(ErrorIds.RateLimited, (await alice.WaitForAsync<ErrorReply>(e => e.Tag == 4)).Code);
        Assert.Contains(_logs.Events, e => e.EventId == 1500 && e.Message.Contains("alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_store_that_fails_a_join_is_answered_StoreUnavailable_and_logged()
    {
        await using var failing = new RoomHub(new ProbeStore(_store, failMembership: true), new ChatServerOptions { LoggerFactory = _logs },
            _ => true, () => [], _ => false);
        var alice = new TestChannel("alice", "01");
        failing.Connected(alice);

        await failing.HandleAsync(alice, TestChannel.FrameOf(new NameRequest(MessageType.CreateRoom, 3, "ops")));

        Assert.Equal(ErrorIds.StoreUnavailable, (await alice.WaitForAsync<ErrorReply>(e => e.Tag == 3)).Code);
        Assert.False(alice.IsClosed);
        Assert.Contains(_logs.Events, e => e.EventId == 1502);
    }

    [Fact]
    public async Task When_a_users_last_device_goes_the_rooms_members_are_told_and_see_since_when()
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
        await using var hub = new RoomHub(_store, new ChatServerOptions(), _ => true, () => [], _ => false, clock);
        var alice = new TestChannel("alice", "01");
        var phone = new TestChannel("bob", "02");
        var laptop = new TestChannel("bob", "03");
        foreach (var channel in new[] { alice, phone, laptop })
        {
            hub.Connected(channel);
            await hub.HandleAsync(channel, TestChannel.FrameOf(new NameRequest(channel == alice ? MessageType.CreateRoom : MessageType.Join, 1, "ops")));
        }

        hub.Disconnected(phone);
        Assert.DoesNotContain(alice.Received, m => m is Presence { Online: false });

        clock.Advance(TimeSpan.FromMinutes(5));
        hub.Disconnected(laptop);

        var away = await alice.WaitForAsync<Presence>(p => !p.Online);
        Assert.Equal(("bob", clock.Now), (away.UserName, away.Time));
        await hub.HandleAsync(alice, TestChannel.FrameOf(new NameRequest(MessageType.ListMembers, 2, "ops")));
        var bob = Assert.Single((await alice.WaitForAsync<MemberList>()).Members, m => m.UserName == "bob");
        Assert.Equal((false, (DateTimeOffset?)clock.Now), (bob.Online, bob.AwaySince));
    }

    [Fact]
    public async Task A_frame_a_client_may_not_send_breaks_the_protocol()
    {
        var alice = Connect("alice");
        await Assert.ThrowsAsync<ProtocolException>(() =>
            _hub.HandleAsync(alice, TestChannel.FrameOf(new Pong(1))).AsTask());
    }

    /// <summary>A store whose membership writes fail as a broken disk would.</summary>
    [Fact]
    public async Task A_room_name_nobody_created_is_refused_from_memory_without_asking_the_store()
    {
        var probe = new ProbeStore(_store, failMembership: false);
        await using var hub = new RoomHub(probe, new ChatServerOptions { LoggerFactory = _logs }, _ => true, () => [], _ => false);
        var mallory = new TestChannel("mallory", "0c");
        hub.Connected(mallory);

        for (uint tag = 1; tag <= 50; tag++)
        {
            await hub.HandleAsync(mallory, TestChannel.FrameOf(new NameRequest(MessageType.ListMembers, tag, $"nothing-{tag}")));
        }

        Assert.Equal(ErrorIds.NotAMember, (await mallory.WaitForAsync<ErrorReply>(e => e.Tag == 50)).Code);
        Assert.Equal(0, probe.RoomLookups);

        // An invalidated room is read again: that is how another node's change arrives.
        hub.Directory.Invalidate("ops");
        Assert.Null(hub.Directory.Find("ops"));
        Assert.Equal(1, probe.RoomLookups);
    }

    private sealed class ProbeStore(IMessageStore inner, bool failMembership) : IMessageStore
    {
        public int RoomLookups;

        public IReadOnlyList<StoredRoom> LoadRooms() => inner.LoadRooms();

        public IReadOnlyList<RoomMembership> LoadMembers() => inner.LoadMembers();

        public StoredRoom? FindRoom(string name)
        {
            Interlocked.Increment(ref RoomLookups);
            return inner.FindRoom(name);
        }

        public IReadOnlyList<string> LoadMembers(string room) => inner.LoadMembers(room);

        public StoredRoom EnsureRoom(string name, RoomKind kind, DateTimeOffset at) => inner.EnsureRoom(name, kind, at);

        public void AddMember(string room, string userName)
        {
            if (failMembership)
            {
                throw new SqliteException("disk I/O error", 10);
            }

            inner.AddMember(room, userName);
        }

        public void RemoveMember(string room, string userName)
        {
            if (failMembership)
            {
                throw new SqliteException("disk I/O error", 10);
            }

            inner.RemoveMember(room, userName);
        }

        public IReadOnlyList<AppendResult> AppendBatch(IReadOnlyList<AppendRequest> batch) => inner.AppendBatch(batch);

        public IReadOnlyList<RoomEvent> Read(string room, ulong fromSequence, int max, long maxBytes = long.MaxValue) =>
            inner.Read(room, fromSequence, max, maxBytes);

        public Task<IReadOnlyList<RoomEvent>> ReadAsync(string room, ulong fromSequence, int max, long maxBytes, CancellationToken cancellationToken) =>
            inner.ReadAsync(room, fromSequence, max, maxBytes, cancellationToken);

        public long CountMessages() => inner.CountMessages();

        public void Dispose()
        {
        }
    }
}
