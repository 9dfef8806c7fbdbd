using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Private rooms and roles through real sessions and a real server: an admin's adds,
/// kicks and role changes, a refused join explained before anything is published, and every
/// device new to a room announced with its safety state.</summary>
public class PrivateRoomSessionTests
{
    private static async Task<(MembershipNotice Notice, MemberArrival Arrival)> ArrivalAsync(SecureSession session, string user)
    {
        var notice = (MembershipNotice)(await SecureHarness.NoticeAsync(session, n => n is MembershipNotice m && m.Arrivals.Any(a => a.UserName == user))).Notice!;
        return (notice, notice.Arrivals.Single(a => a.UserName == user));
    }

    [Fact]
    public async Task A_private_room_admits_only_the_users_an_admin_added()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await alice.CreateRoomAsync("ops", isPrivate: true);
        Assert.True(alice.IsPrivateRoom("ops"));
        await alice.AddMemberAsync("ops", "bob");

        await bob.EnterAsync("ops");
        var (_, arrived) = await ArrivalAsync(alice, "bob");
        Assert.Equal(new MemberArrival("bob", false, ContactTrust.Unverified), arrived);

        var epoch = alice.GroupEpoch("ops");
        var refused = await Assert.ThrowsAsync<OpenChatException>(() => carol.EnterAsync("ops"));
        Assert.Equal(ErrorIds.NotInPrivateRoom, refused.ErrorId);
        Assert.Contains("ask an admin", refused.Message);

        await alice.SendAsync("ops", "members only");
        Assert.Equal("members only", (await SecureHarness.NextWithTextAsync(bob, "members only")).Text);
        // Carol's client committed nothing: alice's group did not move, and refused nothing.
        Assert.Equal(epoch, alice.GroupEpoch("ops"));
        Assert.False(alice.TryReceive(out _, m => !m.Verified));
        Assert.Equal(
            [new RoomMemberRole("alice", RoomRole.Admin, 1), new RoomMemberRole("bob", RoomRole.Member, 1)],
            alice.MemberRoles("ops"));
    }

    [Fact]
    public async Task A_kicked_user_reads_nothing_after_the_kick_and_cannot_join_again()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops", isPrivate: true);
        await alice.AddMemberAsync("ops", "bob");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "before the kick");
        await SecureHarness.NextWithTextAsync(bob, "before the kick");

        await alice.RemoveMemberAsync("ops", "bob");
        var told = (MembershipNotice)(await SecureHarness.NoticeAsync(alice, n => n is MembershipNotice { Kind: MembershipNoticeKind.Managed } m
            && m.RoleChanges.Any(r => r.After == RoomRole.Removed))).Notice!;
        Assert.Equal([new RoleChange("bob", RoomRole.Member, RoomRole.Removed)], told.RoleChanges);
        Assert.Equal(["alice"], told.Members);
        var after = await alice.SendAsync("ops", "after the kick");
        await SecureHarness.NoticeAsync(bob, n => n is MembershipNotice { Kind: MembershipNoticeKind.RemovedThisDevice });
        await Eventually.TrueAsync(() => bob.ProcessedThrough("ops") >= after, "bob to see the last message");
        Assert.False(bob.TryReceive(out _, m => m.Text == "after the kick"));

        var again = await Assert.ThrowsAsync<OpenChatException>(() => bob.SendAsync("ops", "let me in"));
        Assert.Equal(ErrorIds.RemovedFromRoom, again.ErrorId);
    }

    [Fact]
    public async Task Only_an_admin_changes_roles_and_the_last_admin_stays()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await alice.CreateRoomAsync("ops", isPrivate: true);
        await alice.AddMemberAsync("ops", "bob");
        await bob.EnterAsync("ops");

        var notAdmin = await Assert.ThrowsAsync<OpenChatException>(() => bob.AddMemberAsync("ops", "carol"));
        Assert.Equal(ErrorIds.NotRoomAdmin, notAdmin.ErrorId);
        Assert.Contains("alice", notAdmin.Message);
        var last = await Assert.ThrowsAsync<OpenChatException>(() => alice.SetMemberRoleAsync("ops", "alice", RoomRole.Member));
        Assert.Equal(ErrorIds.RoomRoleRefused, last.ErrorId);
        var unnamed = await Assert.ThrowsAsync<OpenChatException>(() => alice.SetMemberRoleAsync("ops", "carol", RoomRole.Admin));
        Assert.Equal(ErrorIds.NotAMember, unnamed.ErrorId);

        await alice.SetMemberRoleAsync("ops", "bob", RoomRole.Admin);
        await Eventually.TrueAsync(() => bob.MemberRoles("ops").Any(r => r is { UserName: "bob", Role: RoomRole.Admin }), "bob to be an admin");
        await bob.AddMemberAsync("ops", "carol");
        await carol.EnterAsync("ops");
        await bob.SendAsync("ops", "welcome carol");
        await SecureHarness.NextWithTextAsync(carol, "welcome carol");
    }

    [Fact]
    public async Task A_new_device_of_a_member_of_an_open_room_is_announced_as_changed()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await ArrivalAsync(alice, "bob");
        alice.ConfirmContact("bob");

        // The server, as CA, can mint a device for any user of an open room: it gets in, loudly.
        var (_, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("bob", server: h.Address, additionalDevice: true);
        var minted = await ChatEnrollment.RegisterAsync(code.ToString(), Path.Combine(h.ProfileRoot, "minted"), ReadOnlyMemory<char>.Empty,
            TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var laptop = await h.SecureAsync(minted);
        await laptop.EnterAsync("ops");
        var (joined, arrived) = await ArrivalAsync(alice, "bob");
        Assert.Equal(new MemberArrival("bob", true, ContactTrust.Changed), arrived);
        Assert.Equal(MembershipNoticeKind.Joined, joined.Kind);
    }

    [Fact]
    public async Task Creating_a_room_whose_group_another_device_founded_fails_and_joins_nothing()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var mallory = await h.SecureAsync(await h.EnrollAsync("mallory"));
        await mallory.CreateRoomAsync("ops");
        var aliceProfile = await h.EnrollAsync("alice");
        var commits = 0;
        // The server answers alice's create of a room that exists as if it had made it.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, aliceProfile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toServer: (type, payload) =>
            {
                if (type == MessageType.Publish && Publish.Read(payload).Kind == EventKind.Commit)
                {
                    Interlocked.Increment(ref commits);
                }

                return type == MessageType.CreateRoom && NameRequest.Read(type, payload) is { } asked
                    ? [new NameRequest(MessageType.Join, asked.Tag, asked.Name).ToFrame()]
                    : null;
            });
        await using var alice = await SecureSession.ConnectAsync(aliceProfile, ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { Server = proxy.Address, MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });

        var refused = await Assert.ThrowsAsync<OpenChatException>(() => alice.CreateRoomAsync("ops", isPrivate: true));
        Assert.Equal(ErrorIds.RoomFoundedByOther, refused.ErrorId);
        Assert.Equal(0, Volatile.Read(ref commits));
        Assert.Equal(1ul, mallory.GroupEpoch("ops"));
        Assert.False(alice.IsPrivateRoom("ops"));
    }

    [Fact]
    public async Task A_kick_is_told_as_its_signers_whatever_name_the_server_puts_on_it()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        var bobProfile = await h.EnrollAsync("bob");
        // The server tells bob that every commit of alice's is carol's: it names a source of its
        // own for each (a handle the server's chunks never reach) and points the commit at it.
        var sources = new EventSources();
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, bobProfile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toClient: (type, payload) => sources.Take(MessageCodec.Decode(type, payload)) is { Kind: EventKind.Commit, Sender: "alice" } e
                ? [new EventSource(EventSource.MaxHandles - 1, e.Room, "carol", e.SenderSerial).ToFrame(),
                   (CompactEvent.Of(EventSource.MaxHandles - 1, e)).ToFrame()]
                : null);
        await using var bob = await SecureSession.ConnectAsync(bobProfile, ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { Server = proxy.Address, MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await carol.EnterAsync("ops");
        await Eventually.TrueAsync(() => alice.GroupMembers("ops").Count == 3, "carol to be in");

        await alice.RemoveMemberAsync("ops", "carol");
        var told = await SecureHarness.NoticeAsync(bob, n => n is MembershipNotice { Kind: MembershipNoticeKind.Managed });
        Assert.Equal("alice", ((MembershipNotice)told.Notice!).Actor);
        Assert.Equal("alice", told.Sender);
        Assert.Equal([new RoleChange("carol", null, RoomRole.Removed)], ((MembershipNotice)told.Notice!).RoleChanges);
    }

    [Fact]
    public async Task Adding_an_admin_again_leaves_them_an_admin()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await alice.CreateRoomAsync("ops", isPrivate: true);
        await alice.AddMemberAsync("ops", "bob", RoomRole.Admin);
        var epoch = alice.GroupEpoch("ops");

        var refused = await Assert.ThrowsAsync<OpenChatException>(() => alice.AddMemberAsync("ops", "bob"));
        Assert.Equal(ErrorIds.RoomRoleRefused, refused.ErrorId);
        Assert.Contains("Set-ChatRoomMember", refused.Message);
        Assert.Equal(RoomRole.Admin, alice.MemberRoles("ops").Single(r => r.UserName == "bob").Role);
        Assert.Equal(epoch, alice.GroupEpoch("ops"));
    }
}
