using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using System.Security.Cryptography;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>
/// The server is the adversary here: it controls what each member receives and in what order.
/// Every attack must be refused or visibly flagged by the members it is aimed at.
/// </summary>
public class MaliciousServerTests
{
    private static (GroupHarness H, GroupHarness.Member Alice, GroupHarness.Member Bob) Room() => GroupHarness.TwoMembers();

    private static RoomEvent Resequence(RoomEvent e, ulong sequence) => e with { Sequence = sequence, MessageId = Guid.NewGuid() };

    [Fact]
    public void The_server_cannot_turn_a_message_into_a_departure()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var message = alice.Send("still here");
            var envelope = Envelope.Parse(message.Body);
            var relabelled = message with { Body = (envelope with { ContentType = ContentType.Departure }).ToBytes() };
            bob.SkipTo(h.Log.Count);
            var outcome = bob.Deliver(relabelled);
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.BadSignature, outcome.Code);
            Assert.Empty(bob.State.DepartedMembers);
        }
    }

    [Fact]
    public void A_member_cannot_announce_someone_elses_departure()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var carol = h.AddJoined("carol");
            bob.CatchUp();
            // Carol signs a departure that names Alice as its sender.
            var own = Envelope.Parse(carol.Depart().Body);
            var unsigned = own with { Sender = "alice", SenderSerial = alice.Identity.Serial, Signature = [] };
            var forged = unsigned with { Signature = Signatures.Sign(carol.Identity.SigningKey, unsigned.SignedPart()) };
            bob.SkipTo(h.Log.Count);
            var outcome = bob.Deliver(new RoomEvent(h.Room, (ulong)h.Log.Count + 1, Guid.NewGuid(), "alice", alice.Identity.Serial, EventKind.Chat,
                bob.State.ServerEpoch, DateTimeOffset.UtcNow, forged.ToBytes()));
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.DoesNotContain(alice.Identity.Serial, bob.State.DepartedMembers);
        }
    }

    [Fact]
    public void A_replayed_message_is_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var original = alice.Send("pay bob 10");
            bob.CatchUp();
            var replay = bob.Deliver(Resequence(original, 99));
            Assert.Equal(GroupOutcomeKind.Rejected, replay.Kind);
            Assert.Equal(RejectReason.Replay, replay.Code);
            Assert.Equal(["pay bob 10"], bob.Texts);
        }
    }

    [Fact]
    public void Reordered_messages_are_flagged()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            var start = h.Log.Count;
            var first = alice.Send("first");
            var second = alice.Send("second");
            bob.SkipTo(h.Log.Count);
            var late = bob.Deliver(second);
            var early = bob.Deliver(first);
            Assert.Equal(GroupOutcomeKind.Message, late.Kind);
            Assert.Equal(1u, late.Message!.MissingBefore);
            Assert.Equal(GroupOutcomeKind.Message, early.Kind);
            Assert.True(early.Message!.OutOfOrder);
            Assert.True(start < h.Log.Count);
        }
    }

    [Fact]
    public void A_dropped_message_is_flagged_as_missing()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            alice.Send("kept 1");
            var dropped = alice.Send("dropped");
            alice.Send("kept 2");
            h.Log.Remove(dropped);
            bob.CatchUp();
            Assert.Equal(["kept 1", "kept 2"], bob.Texts);
            Assert.Equal(1u, bob.Outcomes.Last().Message!.MissingBefore);
        }
    }

    [Fact]
    public void A_forged_sender_is_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var carol = h.AddJoined("carol");
            bob.CatchUp();
            var e = alice.Send("from alice");
            // The server relabels the event as carol's.
            var relabelled = bob.Deliver(Resequence(e with { Sender = carol.Identity.UserName, SenderSerial = carol.Identity.Serial }, 98));
            Assert.Equal(GroupOutcomeKind.Rejected, relabelled.Kind);
            Assert.Equal(RejectReason.RelabelledSender, relabelled.Code);

            // The server rewrites the signed envelope to claim carol sent it.
            var envelope = Envelope.Parse(e.Body);
            var forged = envelope with { Sender = carol.Identity.UserName, SenderSerial = carol.Identity.Serial };
            var outcome = bob.Deliver(Resequence(e with { Body = forged.ToBytes(), Sender = carol.Identity.UserName, SenderSerial = carol.Identity.Serial }, 97));
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.BadSignature, outcome.Code);
        }
    }

    [Fact]
    public void A_member_injected_into_a_commit_is_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var mallory = h.Add("mallory");
            mallory.Publish();
            bob.CatchUp();
            var before = h.Log.Count;
            alice.Commit(CommitReason.Rotate, alice, bob);
            var commitEvent = h.Log[before];
            var commit = Commit.Parse(commitEvent.Body);
            // The server adds mallory to alice's commit, wrapping a secret of its own choosing.
            var (malloryCommit, _) = Commit.CreateLegacy(commit.Room, commit.Epoch, commit.ParentHash, mallory.Identity.Serial,
                mallory.Identity.SigningKey, CommitReason.Rotate, [mallory.Identity.Package]);
            var injected = commit with { Members = [.. commit.Members, malloryCommit.Members[0]] };
            var outcome = bob.Deliver(commitEvent with { Body = injected.ToBytes() });
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.BadCommitSignature, outcome.Code);
            Assert.DoesNotContain(mallory.Identity.Serial, bob.State.MemberSerials);
        }
    }

    [Fact]
    public void A_stale_commit_and_a_stale_epoch_message_are_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            var oldMessage = alice.Send("epoch 2");
            var oldCommit = h.Log.Last(e => e.Kind == EventKind.Commit);
            alice.Commit(CommitReason.Rotate, alice, bob);
            bob.CatchUp();
            var commitAgain = bob.Deliver(Resequence(oldCommit, 90));
            Assert.Equal(GroupOutcomeKind.Rejected, commitAgain.Kind);
            Assert.Equal(RejectReason.StaleCommit, commitAgain.Code);
            var staleMessage = bob.Deliver(Resequence(oldMessage, 91));
            Assert.Equal(GroupOutcomeKind.Rejected, staleMessage.Kind);
            Assert.Equal(RejectReason.StaleEpoch, staleMessage.Code);
        }
    }

    [Fact]
    public void A_forked_epoch_is_detected()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            // Two valid commits on the same parent; the server shows each member a different one.
            var (forA, epochA) = alice.State.CreateCommit(CommitReason.Rotate, [bob.Identity.Serial]);
            var (forB, _) = bob.State.CreateCommit(CommitReason.Rotate, [alice.Identity.Serial]);
            var start = (ulong)h.Log.Count;
            var eventA = new RoomEvent(h.Room, start + 1, Guid.NewGuid(), "alice", alice.Identity.Serial, EventKind.Commit, epochA, DateTimeOffset.UtcNow, forA);
            var eventB = new RoomEvent(h.Room, start + 1, Guid.NewGuid(), "bob", bob.Identity.Serial, EventKind.Commit, epochA, DateTimeOffset.UtcNow, forB);
            Assert.Equal(GroupOutcomeKind.Applied, alice.Deliver(eventA).Kind);
            Assert.Equal(GroupOutcomeKind.Applied, bob.Deliver(eventB).Kind);
            Assert.Equal(alice.State.Epoch, bob.State.Epoch);

            // Messages across the fork do not verify-and-decrypt: the members see the split.
            var message = alice.State.Encrypt("across the fork"u8, ContentType.Text, DateTimeOffset.UtcNow);
            var outcome = bob.Deliver(new RoomEvent(h.Room, start + 2, Guid.NewGuid(), "alice", alice.Identity.Serial, EventKind.Chat, epochA + 1, DateTimeOffset.UtcNow, message));
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            // And the other branch's commit no longer follows either member's last commit.
            Assert.Equal(GroupOutcomeKind.Rejected, alice.Deliver(eventB with { Sequence = start + 3 }).Kind);
        }
    }

    [Fact]
    public void A_stripped_removal_is_detected_by_the_remaining_members()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var carol = h.AddJoined("carol");
            bob.CatchUp();
            h.Revoke(carol);
            var before = h.Log.Count;
            alice.Change(CommitReason.Remove, removed: [carol]);
            var removal = h.Log[before];
            alice.Send("carol must not read this");
            // The server hides the removal from bob and from carol.
            h.Log.Remove(removal);
            bob.CatchUp();
            carol.CatchUp();
            var bobSaw = bob.Outcomes.Last();
            Assert.Equal(GroupOutcomeKind.Rejected, bobSaw.Kind);
            Assert.Equal(RejectReason.UnknownEpoch, bobSaw.Code);
            Assert.DoesNotContain("carol must not read this", carol.Texts);
        }
    }

    [Fact]
    public void A_swapped_published_key_is_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            var carol = h.Add("carol");
            var genuine = carol.Identity.Package;
            using var serverKey = KeyAgreement.NewKey();
            var swapped = genuine with { AgreementKey = Signatures.PublicPoint(serverKey) };
            var e = h.Store(carol, EventKind.Key, swapped.ToBytes());
            var outcome = alice.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.BadPackageSignature, outcome.Code);
            Assert.False(alice.State.HasPackage(carol.Identity.Serial));
            Assert.Throws<CryptoException>(() => alice.State.CreateCommit(CommitReason.Add, [bob.Identity.Serial, carol.Identity.Serial]));
            Assert.NotNull(e);
        }
    }

    [Fact]
    public void A_key_package_from_another_ca_is_refused()
    {
        var (h, alice, _) = Room();
        using (h)
        {
            using var other = new GroupHarness();
            var stranger = other.Add("stranger");
            h.Store(stranger, EventKind.Key, stranger.Identity.Package.ToBytes());
            var outcome = alice.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.CertificateNotFromPinnedCa, outcome.Code);
        }
    }

    [Fact]
    public void A_tampered_ciphertext_is_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            var e = alice.Send("intact");
            var body = (byte[])e.Body.Clone();
            body[body.Length / 2] ^= 0x20;
            var outcome = bob.Deliver(Resequence(e with { Body = body }, 95));
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Empty(bob.Texts);
            Assert.Equal(GroupOutcomeKind.Message, bob.Deliver(Resequence(e, 96)).Kind);
        }
    }
}

public class MaliciousCaTests
{
    private static (GroupHarness H, GroupHarness.Member Alice, GroupHarness.Member Bob) Room(string room = "ops") => GroupHarness.TwoMembers(room);

    [Fact]
    public void A_second_certificate_under_a_members_serial_is_refused()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            // The server, as CA, mints a certificate carrying alice's serial (and another name).
            var impostor = h.Forge("mallory", alice.Identity.Serial);
            h.Store(impostor, EventKind.Key, impostor.Identity.Package.ToBytes());
            var outcome = bob.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.SerialReused, outcome.Code);
            Assert.Equal(alice.Identity.Package.Certificate, bob.State.Packages[alice.Identity.Serial].Certificate);

            var own = alice.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, own.Kind);
        }
    }

    [Fact]
    public void A_commit_whose_secret_does_not_open_leaves_the_state_unchanged()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            var epoch = bob.State.Epoch;
            // alice signs a valid-looking rotation whose wrap for bob is garbage.
            var (commitBody, builtOn) = alice.State.CreateCommit(CommitReason.Rotate, [bob.Identity.Serial]);
            var commit = Commit.Parse(commitBody);
            var broken = commit.Members.Select(m => m.SerialHex == bob.Identity.Serial ? m with { Wrapped = new byte[m.Wrapped.Length] } : m).ToList();
            var unsigned = commit with { Members = broken, Signature = [] };
            var resigned = unsigned with { Signature = Signatures.Sign(alice.Identity.SigningKey, UnsignedBytes(unsigned)) };
            var e = h.Store(alice, EventKind.Commit, resigned.ToBytes(), builtOn);
            var outcome = bob.Deliver(e);
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(epoch, bob.State.Epoch);
            Assert.True(bob.State.CanRead);
            Assert.True(bob.State.IsMember);
        }
    }

    [Fact]
    public void A_poisoned_key_package_is_refused_and_processing_goes_on()
    {
        var (h, alice, bob) = Room();
        using (h)
        {
            bob.CatchUp();
            var package = alice.Identity.Package;
            var poisoned = PayloadWriter.Body().U8(KeyPackage.LegacyVersion).String(package.UserName).Bytes(package.Certificate).Bytes(package.AgreementKey)
                .I64(long.MaxValue).Bytes(package.Signature).ToBody();
            h.Store(alice, EventKind.Key, poisoned);
            alice.Send("still flowing");
            var outcomes = bob.CatchUp();
            Assert.Equal(GroupOutcomeKind.Rejected, outcomes[0].Kind);
            Assert.Equal(["still flowing"], bob.Texts);
        }
    }

    [Fact]
    public void Nobody_else_can_join_a_direct_conversation()
    {
        var (h, alice, bob) = Room("@alice+bob");
        using (h)
        {
            var mallory = h.Add("mallory");
            mallory.Publish();
            mallory.CatchUp();
            var (body, epoch) = mallory.State.CreateCommit(CommitReason.Join, [alice.Identity.Serial, bob.Identity.Serial]);
            h.Store(mallory, EventKind.Commit, body, epoch);
            var outcome = alice.CatchUp().Last();
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.DirectRoomOutsider, outcome.Code);
            Assert.DoesNotContain(mallory.Identity.Serial, alice.State.MemberSerials);
        }
    }

    [Fact]
    public void A_new_device_under_a_departed_users_name_does_not_keep_the_leaver_in()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            bob.Depart();
            // The CA (the server) mints another "bob" whose device joins: the departed device stays departed.
            var minted = h.Forge("bob", "7A11223344556677");
            minted.Publish();
            minted.Join();
            alice.CatchUp();
            Assert.Equal([bob.Identity.Serial], alice.State.DepartedMembers);
            Assert.Throws<CryptoException>(() => alice.State.Encrypt("not yet"u8, ContentType.Text, DateTimeOffset.UtcNow));

            alice.Change(CommitReason.Remove, removed: [bob]);
            alice.Send("after bob left");
            bob.CatchUp();
            Assert.DoesNotContain("after bob left", bob.Texts);
        }
    }

    [Theory]
    [InlineData("b\u043Eb")]           // a Cyrillic o: looks like bob
    [InlineData("eve\u001B[2J")]      // a terminal escape
    [InlineData("-bob")]                // not the policy's shape
    public void A_key_package_under_a_name_the_policy_forbids_is_refused(string name)
    {
        var (h, alice, _) = GroupHarness.TwoMembers();
        using (h)
        {
            var minted = h.Forge(name, "7A11223344556678");
            var outcome = alice.Deliver(h.Store(minted, EventKind.Key, minted.Identity.Package.ToBytes()));
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.UserNameNotAllowed, outcome.Code);
        }
    }

    [Fact]
    public void A_create_commit_holds_only_its_committer()
    {
        using var h = new GroupHarness();
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        bob.Publish();
        alice.CatchUp();
        var (body, epoch) = alice.State.CreateCommit(CommitReason.Create, [bob.Identity.Serial]);
        h.Store(alice, EventKind.Commit, body, epoch);
        var outcome = bob.CatchUp().Last();
        Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
    }

    // The signed part of a commit, rebuilt the way Commit does (version through ephemeral key).
    private static byte[] UnsignedBytes(Commit c)
    {
        var w = PayloadWriter.Body().U8(Commit.Version).String(c.Room).U64(c.Epoch).Bytes(c.ParentHash).String(c.CommitterSerial).U8((byte)c.Reason).U32((uint)c.Members.Count);
        foreach (var m in c.Members)
        {
            w.Bytes(m.Serial).Bytes(m.PackageReference).Bytes(m.Wrapped);
        }

        return w.Bytes(c.EphemeralKey).ToBody();
    }
}

public class JunkCommitTests
{
    [Fact]
    public void A_junk_commit_the_server_accepted_does_not_stall_the_room()
    {
        using var h = new GroupHarness();
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        var mallory = h.Add("mallory");
        alice.Publish();
        alice.Commit(CommitReason.Create);
        bob.Publish();
        bob.Join();
        mallory.Publish();
        mallory.CatchUp();
        // An enrolled user publishes garbage as a commit; the server only checks the header epoch.
        h.Store(mallory, EventKind.Commit, [1, 2, 3], mallory.State.ServerEpoch);
        var refused = bob.CatchUp().Last();
        Assert.Equal(GroupOutcomeKind.Rejected, refused.Kind);

        alice.Send("after the junk");
        alice.Commit(CommitReason.Rotate, alice, bob);
        alice.Send("after a real commit");
        bob.CatchUp();
        Assert.Equal(["after the junk", "after a real commit"], bob.Texts);
    }
}
