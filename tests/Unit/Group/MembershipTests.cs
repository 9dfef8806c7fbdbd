using OpenChat.Engine.Group;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

public class MembershipTests
{
    private static (GroupHarness H, GroupHarness.Member Alice, GroupHarness.Member Bob) TwoMembers() => GroupHarness.TwoMembers();

    [Fact]
    public void Members_read_each_other_and_the_server_log_holds_no_plaintext()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            alice.Send("canary-7f3a hello bob");
            bob.Send("hi alice");
            alice.CatchUp();
            bob.CatchUp();
            Assert.Equal(["canary-7f3a hello bob", "hi alice"], alice.Texts);
            Assert.Equal(["canary-7f3a hello bob", "hi alice"], bob.Texts);
            Assert.Equal(2UL, alice.State.Epoch);
            var everything = h.Log.SelectMany(e => e.Body).ToArray();
            Assert.True(everything.AsSpan().IndexOf("canary-7f3a"u8) < 0);
        }
    }

    [Fact]
    public void A_self_join_needs_no_other_member_online()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            Assert.True(bob.State.IsMember);
            Assert.Equal(2, alice.State.MemberSerials.Count);
            Assert.Equal(CommitReason.Join.ToString(), bob.Outcomes.Last().Notice);
        }
    }

    [Fact]
    public void A_joiner_cannot_read_messages_from_before_its_join()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            alice.Send("before carol");
            var carol = h.AddJoined("carol");
            alice.Send("after carol");
            carol.CatchUp();
            Assert.Equal(["after carol"], carol.Texts);
            Assert.Contains(carol.Outcomes, o => o.Kind == GroupOutcomeKind.NotForUs);
            bob.CatchUp();
            Assert.Equal(["before carol", "after carol"], bob.Texts);
        }
    }

    [Fact]
    public void A_removed_member_cannot_read_anything_sent_after()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            var carol = h.AddJoined("carol");
            alice.Send("all three");
            h.Revoke(carol);
            alice.Change(CommitReason.Remove, removed: [carol]);
            alice.Send("without carol");
            carol.CatchUp();
            bob.CatchUp();
            Assert.Equal(["all three"], carol.Texts);
            Assert.False(carol.State.IsMember);
            Assert.Contains(carol.Outcomes, o => o.Notice == "RemovedFromRoom");
            Assert.Equal(["all three", "without carol"], bob.Texts);
            Assert.Throws<CryptoException>(() => carol.State.Encrypt("x"u8, ContentType.Text, DateTimeOffset.UtcNow));
        }
    }

    [Fact]
    public void A_departure_from_one_device_must_remove_all_of_that_users_devices_before_anyone_sends()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            var bobLaptop = h.AddJoined("bob");
            alice.CatchUp();
            Assert.Empty(alice.State.DepartedMembers);

            bob.Depart();
            alice.CatchUp();
            Assert.Equal(ContentType.Departure, alice.Outcomes.Last().Message!.ContentType);
            Assert.Equal(new[] { bob.Identity.Serial, bobLaptop.Identity.Serial }.Order(), alice.State.DepartedMembers.Order());
            Assert.Throws<CryptoException>(() => alice.State.Encrypt("too early"u8, ContentType.Text, DateTimeOffset.UtcNow));

            alice.Change(CommitReason.Remove, removed: [bob, bobLaptop]);
            Assert.Empty(alice.State.DepartedMembers);
            alice.Send("after bob left");
            bobLaptop.CatchUp();
            Assert.DoesNotContain("after bob left", bobLaptop.Texts);
            Assert.False(bobLaptop.State.IsMember);
        }
    }

    [Fact]
    public void A_device_that_joins_after_a_departure_removes_the_leaver_before_it_sends()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            bob.Depart();
            // Dave catches up (the departure is in an epoch he cannot read) and joins with bob still listed.
            var dave = h.AddJoined("dave");
            Assert.Contains(bob.Identity.Serial, dave.State.MemberSerials);
            Assert.Equal([bob.Identity.Serial], dave.State.DepartedMembers);
            Assert.Throws<CryptoException>(() => dave.State.Encrypt("too early"u8, ContentType.Text, DateTimeOffset.UtcNow));

            dave.Change(CommitReason.Remove, removed: [bob]);
            dave.Send("for the remaining members only");
            bob.CatchUp();
            Assert.DoesNotContain("for the remaining members only", bob.Texts);
        }
    }

    [Fact]
    public void When_one_device_leaves_another_device_of_that_user_must_rejoin_and_only_it_stays()
    {
        var (h, alice, phone) = TwoMembers();
        using (h)
        {
            var laptop = h.AddJoined("bob");
            laptop.Depart();
            phone.CatchUp();
            Assert.True(phone.State.HasDeparted);
            Assert.False(phone.State.IsMember);

            phone.Join();
            alice.CatchUp();
            Assert.Equal([laptop.Identity.Serial], alice.State.DepartedMembers);
            alice.Change(CommitReason.Remove, removed: [laptop]);
            alice.Send("phone only");
            phone.CatchUp();
            laptop.CatchUp();
            Assert.Contains("phone only", phone.Texts);
            Assert.DoesNotContain("phone only", laptop.Texts);
        }
    }

    [Fact]
    public void A_message_of_an_unknown_content_type_is_refused_not_shown_as_text()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            alice.CatchUp();
            h.Store(alice, EventKind.Chat, alice.State.Encrypt("<b>rich</b>"u8, (ContentType)9, DateTimeOffset.UtcNow));
            var outcome = bob.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.UnknownContentType, outcome.Code);
        }
    }

    [Fact]
    public void A_departure_survives_a_restart_until_the_removal_is_committed()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            bob.Depart();
            alice.CatchUp();
            var restored = GroupState.Import(alice.State.Export(), alice.Identity, alice.Verifier);
            Assert.Equal([bob.Identity.Serial], restored.DepartedMembers);
            Assert.Throws<CryptoException>(() => restored.Encrypt("too early"u8, ContentType.Text, DateTimeOffset.UtcNow));
        }
    }

    [Fact]
    public void A_user_who_left_and_comes_back_is_a_member_again()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            bob.Depart();
            alice.Change(CommitReason.Remove, removed: [bob]);
            bob.CatchUp();
            Assert.False(bob.State.IsMember);

            var bobAgain = h.AddJoined("bob");
            alice.CatchUp();
            Assert.Empty(alice.State.DepartedMembers);
            alice.Send("welcome back");
            bobAgain.CatchUp();
            Assert.Equal(["welcome back"], bobAgain.Texts);
        }
    }

    [Fact]
    public void A_device_that_left_can_join_again_before_anyone_removed_it()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            bob.Depart();
            bob.CatchUp();
            Assert.True(bob.State.HasDeparted);
            Assert.False(bob.State.IsMember);
            bob.State.ForgetSecrets();

            bob.Join();
            alice.CatchUp();
            Assert.Equal(CommitReason.Join.ToString(), alice.Outcomes.Last().Notice);
            Assert.Empty(alice.State.DepartedMembers);
            Assert.True(bob.State.IsMember);
            alice.Send("still with bob");
            bob.CatchUp();
            Assert.Contains("still with bob", bob.Texts);
        }
    }

    [Fact]
    public void A_device_that_left_follows_a_join_that_still_lists_it_and_can_rejoin()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            bob.Depart();
            bob.CatchUp();
            bob.State.ForgetSecrets();
            // carol joins before anyone removed bob: her join carries him over, wrapped to a leaf
            // whose private key bob erased when he left.
            var carol = h.AddJoined("carol");
            alice.CatchUp();
            Assert.Contains(bob.Identity.Serial, alice.State.MemberSerials);
            Assert.Equal(GroupOutcomeKind.Applied, bob.CatchUp().Last().Kind);
            Assert.Equal(alice.State.Epoch, bob.State.Epoch);
            Assert.False(bob.State.CanRead);

            bob.Join();
            Assert.Equal(CommitReason.Join.ToString(), alice.CatchUp().Last().Notice);
            Assert.Equal(CommitReason.Join.ToString(), carol.CatchUp().Last().Notice);
            Assert.True(bob.State.IsMember);
            Assert.Equal(alice.State.LastCommitHash, bob.State.LastCommitHash);
            alice.Send("bob is back");
            bob.CatchUp();
            carol.CatchUp();
            Assert.Equal("bob is back", bob.Texts.Last());
            Assert.Equal("bob is back", carol.Texts.Last());
        }
    }

    [Fact]
    public void A_rejoin_may_not_add_or_remove_anyone_else()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            var carol = h.Add("carol");
            carol.Publish();
            bob.Depart();
            bob.CatchUp();
            var (body, builtOn) = bob.State.CreateCommit(CommitReason.Join, [alice.Identity.Serial, carol.Identity.Serial]);
            alice.CatchUp();
            var outcome = alice.Deliver(h.Store(bob, EventKind.Commit, body, builtOn));
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.RejoinChangesOthers, outcome.Code);
            Assert.DoesNotContain(carol.Identity.Serial, alice.State.MemberSerials);
        }
    }

    [Fact]
    public void A_revoked_member_must_be_removed_before_anyone_sends_and_then_reads_nothing()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            h.Revoke(bob);
            Assert.Equal([bob.Identity.Serial], alice.State.RevokedMembers);
            Assert.Throws<CryptoException>(() => alice.State.Encrypt("too early"u8, ContentType.Text, DateTimeOffset.UtcNow));

            alice.Change(CommitReason.Remove, removed: [bob]);
            alice.Send("after revocation");
            bob.CatchUp();
            Assert.DoesNotContain("after revocation", bob.Texts);
            Assert.False(bob.State.IsMember);
        }
    }

    [Fact]
    public void An_offline_member_catches_up_through_several_commits()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            var carol = h.AddJoined("carol");
            carol.CatchUp();
            var readBefore = h.Log.Count;
            // carol goes offline; the room moves on through several epochs
            alice.Send("one");
            var dave = h.AddJoined("dave");
            alice.CatchUp();
            alice.Send("two");
            alice.Commit(CommitReason.Rotate, [.. new[] { alice, bob, carol, dave }]);
            bob.CatchUp();
            bob.Send("three");
            // carol comes back and reads the sequence in order
            carol.CatchUp();
            Assert.Equal(["one", "two", "three"], carol.Texts);
            Assert.Equal(alice.State.Epoch, carol.State.Epoch);
            Assert.True(readBefore < h.Log.Count);
        }
    }

    [Fact]
    public void A_key_update_is_due_a_week_after_the_leaf_was_set_or_after_so_many_messages_in_the_room()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            alice.CatchUp();
            var now = h.Time.GetUtcNow();
            Assert.False(alice.State.NeedsKeyUpdate(now));
            Assert.False(alice.State.NeedsKeyUpdate(alice.State.LeafSet + GroupState.DefaultKeyUpdateInterval - TimeSpan.FromMinutes(1)));
            Assert.True(alice.State.NeedsKeyUpdate(alice.State.LeafSet + GroupState.DefaultKeyUpdateInterval));
            alice.State.KeyUpdateAfterMessages = 3;
            bob.Send("one");
            bob.Send("two");
            alice.CatchUp();
            Assert.False(alice.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            // Messages of any sender count, this device's own too.
            alice.Send("three");
            alice.CatchUp();
            Assert.True(alice.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            alice.Change(CommitReason.Update);
            Assert.False(alice.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            Assert.Equal(0, alice.State.MessagesSinceLeaf);
        }
    }

    [Fact]
    public void Only_members_may_add_remove_or_rotate()
    {
        var (h, alice, bob) = TwoMembers();
        using (h)
        {
            var mallory = h.Add("mallory");
            mallory.Publish();
            mallory.CatchUp();
            // mallory (not a member) holds no key of the epoch, so her own client refuses to make the commit...
            Assert.Throws<OpenChat.Engine.Crypto.CryptoException>(() => mallory.State.CreateCommit(CommitReason.Add, [alice.Identity.Serial, bob.Identity.Serial]));
            // ...and one she builds by hand on a made-up init secret, adding herself, is refused by the members.
            var leaves = alice.State.Export().Leaves;
            CommitTarget Carried(GroupHarness.Member m) => new(m.Identity.Serial, CommitTargetKind.CarriedOver, leaves[m.Identity.Serial], KeySchedule.KeyReference(leaves[m.Identity.Serial]));
            var (commit, _) = CommitBuilder.Build(h.Room, alice.State.Epoch + 1, alice.State.LastCommitHash, mallory.Identity.Serial, mallory.Identity.SigningKey,
                CommitReason.Add, alice.State.Policy, [Carried(alice), Carried(bob), new(mallory.Identity.Serial, CommitTargetKind.Committer, [], [])],
                CommitInit.Member(new byte[32]));
            h.Store(mallory, OpenChat.Engine.Protocol.EventKind.Commit, commit.ToBytes(), alice.State.ServerEpoch);
            var outcome = alice.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.CommitterNotAMember, outcome.Code);
        }
    }
}
