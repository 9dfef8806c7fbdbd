using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>A room is created on purpose; a mistyped name is refused with the nearest rooms the
/// server lists, and creates nothing.</summary>
public class MissingRoomTests
{
    [Fact]
    public async Task A_join_of_a_missing_room_is_refused_with_the_nearest_existing_rooms_suggested()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        foreach (var room in new[] { "ops", "dev", "general" })
        {
            await alice.CreateRoomAsync(room);
        }

        var e = await Assert.ThrowsAsync<OpenChatException>(() => bob.JoinAsync("opss"));

        Assert.Equal((ErrorIds.RoomNotFound, ErrorKind.NotFound), (e.ErrorId, e.Kind));
        Assert.Equal("There is no room 'opss'. Did you mean: ops?", e.Message);
        Assert.DoesNotContain("opss", (await bob.ListRoomsAsync()).Select(r => r.Name));
        Assert.DoesNotContain("opss", bob.JoinedRooms);
    }

    [Fact]
    public async Task A_missing_room_with_nothing_near_it_is_refused_without_suggestions()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        await alice.CreateRoomAsync("general");

        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.JoinAsync("ops"));

        Assert.Equal("There is no room 'ops'.", e.Message);
    }

    [Fact]
    public async Task Capitals_are_folded_by_the_client_so_Ops_and_OPS_are_the_room_ops()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");

        var created = await alice.CreateRoomAsync("Ops");
        var joined = await bob.JoinAsync("OPS");

        Assert.Equal(("ops", "ops"), (created.Name, joined.Name));
        Assert.Contains("ops", bob.JoinedRooms);
        Assert.Equal(["ops"], (await bob.ListRoomsAsync()).Select(r => r.Name));
        Assert.Equal(2, (await alice.ListMembersAsync("Ops")).Count);
    }

    [Fact]
    public async Task Creating_a_room_that_exists_is_RoomExists()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");

        var e = await Assert.ThrowsAsync<OpenChatException>(() => bob.CreateRoomAsync("ops"));

        Assert.Equal((ErrorIds.RoomExists, ErrorKind.AlreadyExists), (e.ErrorId, e.Kind));
        Assert.DoesNotContain("ops", bob.JoinedRooms);
    }

    [Fact]
    public async Task Creating_a_room_one_is_already_in_is_RoomExists_and_it_keeps_receiving_that_room()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");

        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.CreateRoomAsync("ops"));

        Assert.Equal(ErrorIds.RoomExists, e.ErrorId);
        Assert.Contains("ops", alice.JoinedRooms);
        await bob.PublishAsync("ops", "still heard"u8.ToArray());
        var heard = await Eventually.NextAsync(alice);
        Assert.Equal(("ops", "bob"), (heard.Room, heard.Sender));
    }

    [Fact]
    public async Task A_message_to_a_missing_room_fails_with_RoomNotFound_and_creates_nothing()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await alice.CreateRoomAsync("ops");

        var outgoing = alice.Queue("opss", "deploying now");
        var e = await Assert.ThrowsAsync<OpenChatException>(() => outgoing.Delivered.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ErrorIds.RoomNotFound, e.ErrorId);
        Assert.Contains("Did you mean: ops?", e.Message, StringComparison.Ordinal);
        Assert.Equal(OutgoingState.Failed, outgoing.State);
        Assert.Equal(["ops"], (await alice.ListRoomsAsync()).Select(r => r.Name));
        Assert.Equal(0, alice.PendingMessages);
    }

    [Fact]
    public async Task Enter_or_create_creates_a_missing_room_and_joins_one_that_exists()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));

        var created = await alice.EnterOrCreateAsync("Ops");
        var joined = await bob.EnterOrCreateAsync("ops");
        await alice.SendAsync("ops", "hello");

        Assert.Equal(("ops", "ops"), (created.Name, joined.Name));
        Assert.Equal("hello", (await SecureHarness.NextAsync(bob)).Text);
        Assert.Equal(2, (await bob.ListMembersAsync("ops")).Count);
    }

    [Fact]
    public async Task Direct_conversations_are_still_opened_without_creating_a_room_first()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        await h.UserAsync("bob");

        var dm = await alice.OpenDirectAsync("bob");

        Assert.Equal("@alice+bob", dm.Name);
    }
}
