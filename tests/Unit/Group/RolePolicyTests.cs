using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>The rules of roles and private rooms (<see cref="RolePolicy"/>), each through real
/// groups: the forbidden commit is refused by every member with its own reason and changes
/// nothing; the nearest allowed one is applied.</summary>
public sealed class RolePolicyTests
{
    private static GroupHarness.Member Founder(GroupHarness h, string user, bool isPrivate)
    {
        var founder = h.Add(user);
        founder.Publish();
        Store(h, founder, founder.State.CreateFoundingCommit(isPrivate));
        return founder;
    }

    private static void Store(GroupHarness h, GroupHarness.Member by, (byte[] Body, ulong BuiltOn) commit)
    {
        h.Store(by, EventKind.Commit, commit.Body, commit.BuiltOn);
        by.CatchUp();
    }

    // Alice's private room, with bob added by her and joined by himself.
    private static (GroupHarness H, GroupHarness.Member Alice, GroupHarness.Member Bob) PrivateRoom()
    {
        var h = new GroupHarness();
        var alice = Founder(h, "alice", isPrivate: true);
        Store(h, alice, alice.State.CreateSetRoleCommit("bob", RoomRole.Member));
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        Assert.True(bob.State.IsMember);
        return (h, alice, bob);
    }

    private static (GroupHarness H, GroupHarness.Member Alice, GroupHarness.Member Bob) OpenRoom()
    {
        var h = new GroupHarness();
        var alice = Founder(h, "alice", isPrivate: false);
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        return (h, alice, bob);
    }

    private static void AssertRefusedByAll(RejectReason reason, ulong epoch, params GroupHarness.Member[] members)
    {
        foreach (var member in members)
        {
            member.CatchUp();
            Assert.Equal(reason, member.Outcomes.Last(o => o.Kind == GroupOutcomeKind.Rejected).Code);
            Assert.Equal(epoch, member.State.Epoch);
        }
    }

    [Fact]
    public void The_creator_of_a_room_is_its_only_admin()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            Assert.True(bob.State.IsPrivate);
            Assert.Equal(RoomRole.Admin, bob.State.RoleOf("alice"));
            Assert.Equal(RoomRole.Member, bob.State.RoleOf("bob"));
            Assert.True(alice.State.IsAdmin);
            Assert.False(bob.State.IsAdmin);
        }
    }

    [Fact]
    public void A_create_commit_that_names_another_admin_is_refused()
    {
        using var h = new GroupHarness();
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        var policy = RoomPolicy.ForCreator("alice", true).With("mallory", RoomRole.Admin);
        Store(h, alice, alice.State.CreateCommit(CommitReason.Create, [], policy));
        bob.CatchUp();
        Assert.Equal(RejectReason.CreatePolicyNotCreators, bob.Outcomes.Last().Code);
        Assert.Equal(0UL, bob.State.Epoch);
    }

    [Fact]
    public void A_manage_by_a_member_who_is_not_an_admin_is_refused()
    {
        var (h, alice, bob) = OpenRoom();
        using (h)
        {
            Assert.Throws<CryptoException>(() => bob.State.CreateSetRoleCommit("bob", RoomRole.Admin));
            var epoch = alice.State.Epoch;
            Store(h, bob, bob.State.CreateCommit(CommitReason.Manage, bob.State.MemberSerials, bob.State.Policy.With("bob", RoomRole.Admin)));
            AssertRefusedByAll(RejectReason.ManageByNonAdmin, epoch, alice, bob);
            Assert.Equal(RoomRole.Admin, alice.State.RoleOf("alice"));
            Assert.Null(alice.State.RoleOf("bob"));
        }
    }

    [Theory]
    [InlineData(CommitReason.Rotate)]
    [InlineData(CommitReason.Update)]
    [InlineData(CommitReason.Join)]
    [InlineData(CommitReason.Add)]
    [InlineData(CommitReason.Remove)]
    public void A_policy_change_hidden_in_another_commit_is_refused(CommitReason reason)
    {
        var (h, alice, bob) = OpenRoom();
        using (h)
        {
            var carol = h.Add("carol");
            carol.Publish();
            var epoch = alice.State.Epoch;
            var (by, members) = reason switch
            {
                CommitReason.Join => (carol, alice.State.MemberSerials.Append(carol.Identity.Serial).ToList()),
                CommitReason.Add => (bob, alice.State.MemberSerials.Append(carol.Identity.Serial).ToList()),
                CommitReason.Remove => (bob, [bob.Identity.Serial]),
                _ => (bob, alice.State.MemberSerials.ToList()),
            };
            if (reason == CommitReason.Remove)
            {
                h.Revoke(alice);
            }

            by.CatchUp();
            Store(h, by, by.State.CreateCommit(reason, members, by.State.Policy.With(by.Identity.UserName, RoomRole.Admin)));
            AssertRefusedByAll(RejectReason.PolicyChangedOutsideManage, epoch, alice, bob);
            Assert.False(bob.State.IsAdmin);
        }
    }

    [Fact]
    public void A_join_of_a_private_room_by_a_user_no_admin_added_is_refused_by_every_member()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var carol = h.Add("carol");
            carol.Publish();
            carol.CatchUp();
            Assert.False(carol.State.MayJoin);
            var epoch = alice.State.Epoch;
            carol.Join();
            AssertRefusedByAll(RejectReason.JoinNotInPrivateRoom, epoch, alice, bob, carol);
            Assert.False(carol.State.IsMember);
            alice.Send("members only");
            carol.CatchUp();
            Assert.DoesNotContain("members only", carol.Texts);

            // Once an admin adds her, the same device's join is applied.
            Store(h, alice, alice.State.CreateSetRoleCommit("carol", RoomRole.Member));
            carol.CatchUp();
            Assert.True(carol.State.MayJoin);
            carol.Join();
            bob.CatchUp();
            Assert.True(carol.State.IsMember);
            Assert.Contains(carol.Identity.Serial, bob.State.MemberSerials);
        }
    }

    [Fact]
    public void A_user_minted_by_the_server_cannot_join_a_private_room()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            // The server is the CA: it can mint any certificate, but no admin signed "mallory" in.
            var mallory = h.Forge("mallory", "7A11223344556699");
            mallory.Publish();
            var epoch = alice.State.Epoch;
            mallory.Join();
            AssertRefusedByAll(RejectReason.JoinNotInPrivateRoom, epoch, alice, bob);
            Assert.DoesNotContain(mallory.Identity.Serial, alice.State.MemberSerials);
        }
    }

    [Fact]
    public void An_add_of_an_outsiders_device_to_a_private_room_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var carol = h.Add("carol");
            carol.Publish();
            var epoch = alice.State.Epoch;
            bob.Change(CommitReason.Add, added: [carol]);
            AssertRefusedByAll(RejectReason.PrivateRoomOutsider, epoch, alice, bob);
        }
    }

    [Fact]
    public void A_removed_user_cannot_join_an_open_room_again_until_an_admin_adds_them_back()
    {
        var (h, alice, bob) = OpenRoom();
        using (h)
        {
            Store(h, alice, alice.State.CreateRemoveUserCommit("bob"));
            bob.CatchUp();
            Assert.False(bob.State.IsMember);
            Assert.DoesNotContain(bob.Identity.Serial, alice.State.MemberSerials);
            Assert.False(bob.State.MayJoin);

            var epoch = alice.State.Epoch;
            bob.Join();
            AssertRefusedByAll(RejectReason.RemovedUserRejoins, epoch, alice, bob);
            var laptop = h.AddJoined("bob");
            AssertRefusedByAll(RejectReason.RemovedUserRejoins, epoch, alice, laptop);

            Store(h, alice, alice.State.CreateSetRoleCommit("bob", RoomRole.Member));
            bob.Join();
            alice.CatchUp();
            Assert.True(bob.State.IsMember);
        }
    }

    [Fact]
    public void An_add_of_a_removed_users_device_is_refused()
    {
        var (h, alice, bob) = OpenRoom();
        using (h)
        {
            var carol = h.AddJoined("carol");
            bob.CatchUp();
            alice.CatchUp();
            Store(h, alice, alice.State.CreateRemoveUserCommit("carol"));
            bob.CatchUp();
            var epoch = alice.State.Epoch;
            bob.Change(CommitReason.Add, added: [carol]);
            AssertRefusedByAll(RejectReason.RemovedUserMember, epoch, alice, bob);
        }
    }

    [Fact]
    public void A_kicked_member_cannot_read_the_next_message()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            alice.Send("before");
            Store(h, alice, alice.State.CreateRemoveUserCommit("bob"));
            alice.Send("after the kick");
            bob.CatchUp();
            Assert.Contains("before", bob.Texts);
            Assert.DoesNotContain("after the kick", bob.Texts);
            Assert.Equal(RoomRole.Removed, bob.State.RoleOf("bob"));
            Assert.Equal([alice.Identity.Serial], alice.State.MemberSerials);
        }
    }

    [Fact]
    public void Demoting_the_last_admin_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            Assert.Throws<CryptoException>(() => alice.State.CreateSetRoleCommit("alice", RoomRole.Member));
            var epoch = alice.State.Epoch;
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, alice.State.MemberSerials, alice.State.Policy.With("alice", RoomRole.Member)));
            AssertRefusedByAll(RejectReason.LastAdminRemoved, epoch, alice, bob);

            // With a second admin, alice may step down.
            Store(h, alice, alice.State.CreateSetRoleCommit("bob", RoomRole.Admin));
            Store(h, alice, alice.State.CreateSetRoleCommit("alice", RoomRole.Member));
            bob.CatchUp();
            Assert.Equal(RoomRole.Member, bob.State.RoleOf("alice"));
            Assert.True(bob.State.IsAdmin);
        }
    }

    [Fact]
    public void Flipping_the_private_flag_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var epoch = alice.State.Epoch;
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, alice.State.MemberSerials, alice.State.Policy with { Private = false }));
            AssertRefusedByAll(RejectReason.PrivacyChanged, epoch, alice, bob);
            Assert.True(bob.State.IsPrivate);
        }
    }

    [Fact]
    public void A_manage_that_removes_a_user_but_keeps_their_devices_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var epoch = alice.State.Epoch;
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, alice.State.MemberSerials, alice.State.Policy.With("bob", RoomRole.Removed)));
            AssertRefusedByAll(RejectReason.ManageKeepsRemovedDevices, epoch, alice, bob);
            Assert.True(bob.State.IsMember);
        }
    }

    [Fact]
    public void A_manage_that_drops_a_device_of_a_user_it_does_not_remove_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var epoch = alice.State.Epoch;
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, [alice.Identity.Serial], alice.State.Policy.With("carol", RoomRole.Member)));
            AssertRefusedByAll(RejectReason.ManageDropsOthers, epoch, alice, bob);
        }
    }

    [Fact]
    public void A_manage_that_adds_devices_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var carol = h.Add("carol");
            carol.Publish();
            alice.CatchUp();
            var epoch = alice.State.Epoch;
            var members = alice.State.MemberSerials.Append(carol.Identity.Serial).ToList();
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, members, alice.State.Policy.With("carol", RoomRole.Member)));
            AssertRefusedByAll(RejectReason.ManageAddsDevices, epoch, alice, bob);
        }
    }

    [Fact]
    public void A_manage_that_drops_a_user_from_the_policy_is_refused()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            var epoch = alice.State.Epoch;
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, [alice.Identity.Serial], alice.State.Policy.With("bob", null)));
            AssertRefusedByAll(RejectReason.ManageUnnamesUser, epoch, alice, bob);
        }
    }

    [Fact]
    public void A_new_admin_may_add_users()
    {
        var (h, alice, bob) = PrivateRoom();
        using (h)
        {
            Store(h, alice, alice.State.CreateSetRoleCommit("bob", RoomRole.Admin));
            bob.CatchUp();
            Store(h, bob, bob.State.CreateSetRoleCommit("carol", RoomRole.Member));
            var carol = h.AddJoined("carol");
            alice.CatchUp();
            Assert.True(carol.State.IsMember);
            Assert.Equal(3, alice.State.MemberSerials.Count);
            Assert.DoesNotContain(alice.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
        }
    }

    [Fact]
    public void A_room_without_roles_has_no_admin_to_manage_it()
    {
        // Founded before roles existed (or by a client that sets none): open, as every room was.
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            Assert.False(alice.State.IsAdmin);
            var epoch = alice.State.Epoch;
            Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, alice.State.MemberSerials, RoomPolicy.ForCreator("alice", false)));
            AssertRefusedByAll(RejectReason.ManageByNonAdmin, epoch, alice, bob);
        }
    }

    [Fact]
    public void A_direct_conversations_founder_is_no_admin_and_cannot_kick_the_other()
    {
        using var h = new GroupHarness("@alice+bob");
        var alice = Founder(h, "alice", isPrivate: false);
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        Assert.False(alice.State.IsAdmin);

        var epoch = bob.State.Epoch;
        Store(h, alice, alice.State.CreateCommit(CommitReason.Manage, alice.State.DevicesOf("alice"), alice.State.Policy.With("bob", RoomRole.Removed)));
        AssertRefusedByAll(RejectReason.ManageInDirectRoom, epoch, alice, bob);
        Assert.True(bob.State.IsMember);
    }

    [Fact]
    public void A_direct_conversation_founded_with_roles_is_refused()
    {
        using var h = new GroupHarness("@alice+bob");
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        Store(h, alice, alice.State.CreateCommit(CommitReason.Create, [], RoomPolicy.ForCreator("alice", false)));
        AssertRefusedByAll(RejectReason.DirectRoomWithRoles, 0, alice, bob);
    }
}
