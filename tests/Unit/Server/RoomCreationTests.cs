using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>Rooms are made on purpose (CreateRoom), never by a Join of a name that does not exist,
/// driven through in-memory channels and a real SQLite store.</summary>
public sealed class RoomCreationTests : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SqliteMessageStore _store;
    private readonly RecordingLoggerFactory _logs = new();
    private readonly ChatServerOptions _options;
    private readonly RoomHub _hub;

    public RoomCreationTests()
    {
        Directory.CreateDirectory(_temp.Path);
        _store = new SqliteMessageStore(_temp.Combine(SqliteMessageStore.FileName));
        _options = new ChatServerOptions { LoggerFactory = _logs, MaxRooms = 3 };
        _hub = new RoomHub(_store, _options, _ => true, () => [], _ => false);
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

    private async Task<IMessage> AskAsync(TestChannel channel, MessageType type, uint tag, string room)
    {
        await _hub.HandleAsync(channel, TestChannel.FrameOf(new NameRequest(type, tag, room)));
        return await channel.WaitForAsync<IMessage>(m => m is Joined j && j.Tag == tag || m is ErrorReply e && e.Tag == tag);
    }

    [Fact]
    public async Task A_join_of_a_room_that_does_not_exist_is_refused_and_creates_nothing()
    {
        var alice = Connect("alice");

        var reply = await AskAsync(alice, MessageType.Join, 1, "opss");

        Assert.Equal(ErrorIds.RoomNotFound, Assert.IsType<ErrorReply>(reply).Code);
        Assert.Empty(_store.LoadRooms());
        Assert.DoesNotContain("opss", alice.Subscriptions.Keys);
    }

    [Fact]
    public async Task A_created_room_is_joined_by_its_creator_and_can_then_be_joined_by_others()
    {
        var alice = Connect("alice");
        var bob = Connect("bob");

        var created = Assert.IsType<Joined>(await AskAsync(alice, MessageType.CreateRoom, 1, "ops"));
        var joined = Assert.IsType<Joined>(await AskAsync(bob, MessageType.Join, 2, "ops"));

        Assert.Equal(("ops", RoomKind.Room), (created.Room, created.Kind));
        Assert.Equal("ops", joined.Room);
        Assert.Equal(["alice", "bob"], _store.LoadMembers("ops").Order(StringComparer.Ordinal));
        Assert.Contains(_logs.Events, e => e.EventId == 1508 && e.Message.Contains("alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Creating_a_room_that_exists_is_refused_with_RoomExists_and_does_not_join_it()
    {
        var alice = Connect("alice");
        var mallory = Connect("mallory");
        await AskAsync(alice, MessageType.CreateRoom, 1, "ops");

        var reply = await AskAsync(mallory, MessageType.CreateRoom, 2, "ops");

        Assert.Equal(ErrorIds.RoomExists, Assert.IsType<ErrorReply>(reply).Code);
        Assert.Equal(["alice"], _store.LoadMembers("ops"));
    }

    [Theory]
    [InlineData(MessageType.Join)]
    [InlineData(MessageType.CreateRoom)]
    public async Task The_server_folds_capitals_in_room_names_itself(MessageType type)
    {
        var alice = Connect("alice");
        var bob = Connect("bob");
        if (type == MessageType.Join)
        {
            await AskAsync(alice, MessageType.CreateRoom, 1, "ops");
        }

        var reply = Assert.IsType<Joined>(await AskAsync(bob, type, 2, "OPS"));

        Assert.Equal("ops", reply.Room);
        Assert.Equal(["ops"], _store.LoadRooms().Select(r => r.Name));
        Assert.Contains("ops", bob.Subscriptions.Keys);
    }

    [Theory]
    [InlineData("#ops")]
    [InlineData("a b")]
    [InlineData("@alice+bob")]
    [InlineData("\u212Aey")] // the Kelvin sign: lower-cased by Unicode rules it would become "key"
    public async Task Creating_a_room_with_an_invalid_name_is_refused(string room)
    {
        var alice = Connect("alice");

        var reply = await AskAsync(alice, MessageType.CreateRoom, 1, room);

        Assert.Equal(ErrorIds.RoomNameInvalid, Assert.IsType<ErrorReply>(reply).Code);
        Assert.Empty(_store.LoadRooms());
    }

    [Fact]
    public async Task Creating_beyond_MaxRooms_is_refused_while_joining_existing_rooms_still_works()
    {
        var alice = Connect("alice");
        var bob = Connect("bob");
        for (var i = 0; i < _options.MaxRooms; i++)
        {
            Assert.IsType<Joined>(await AskAsync(alice, MessageType.CreateRoom, (uint)i + 1, $"room{i}"));
        }

        var refused = await AskAsync(bob, MessageType.CreateRoom, 10, "one-more");

        Assert.Equal(ErrorIds.RoomLimitReached, Assert.IsType<ErrorReply>(refused).Code);
        Assert.IsType<Joined>(await AskAsync(bob, MessageType.Join, 11, "room0"));
        Assert.Equal(_options.MaxRooms, _store.LoadRooms().Count);
    }

    [Fact]
    public async Task Creating_past_the_users_creation_budget_is_refused_as_rate_limited_on_every_connection()
    {
        var options = new ChatServerOptions { LoggerFactory = _logs, RoomCreationBurst = 1, RoomCreationsPerMinute = 0 };
        await using var hub = new RoomHub(_store, options, _ => true, () => [], _ => false);
        var alice = new TestChannel("alice", Guid.NewGuid().ToString("N"));
        var aliceAgain = new TestChannel("ALICE", Guid.NewGuid().ToString("N"));
        var bob = new TestChannel("bob", Guid.NewGuid().ToString("N"));
        hub.Connected(alice);
        hub.Connected(aliceAgain);
        hub.Connected(bob);
        async Task<IMessage> Ask(TestChannel channel, MessageType type, uint tag, string room)
        {
            await hub.HandleAsync(channel, TestChannel.FrameOf(new NameRequest(type, tag, room)));
            return await channel.WaitForAsync<IMessage>(m => m is Joined j && j.Tag == tag || m is ErrorReply e && e.Tag == tag);
        }

        Assert.IsType<Joined>(await Ask(alice, MessageType.CreateRoom, 1, "first"));

        // Another connection of the same user (its name in another case) shares the budget.
        var refused = await Ask(aliceAgain, MessageType.CreateRoom, 2, "second");

        Assert.Equal(ErrorIds.RateLimited, Assert.IsType<ErrorReply>(refused).Code);
        // Joining what exists costs nothing of that budget, and another user has a budget of its own.
        Assert.IsType<Joined>(await Ask(aliceAgain, MessageType.Join, 3, "first"));
        Assert.IsType<Joined>(await Ask(bob, MessageType.CreateRoom, 4, "bobs"));
        Assert.Equal(["bobs", "first"], _store.LoadRooms().Select(r => r.Name).Order());
    }
}
