using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>The format-2 key schedule as members apply it: key references every member checks,
/// pending own commits, the erasure of what no later epoch needs, joins onto format-1 epochs, and
/// the migration of states saved before it.</summary>
public sealed class KeyScheduleTests
{
    [Fact]
    public void A_commit_wrapping_to_a_key_other_than_a_members_leaf_is_refused_by_every_member()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var carol = h.AddJoined("carol");
            alice.CatchUp();
            bob.CatchUp();
            // alice (or a server that could sign for her) wraps bob's secret to his long-term
            // package key instead of his current leaf: nobody may apply it.
            var leaves = alice.State.Export().Leaves;
            var commit = Build(alice, CommitReason.Update,
                new CommitTarget(bob.Identity.Serial, CommitTargetKind.CarriedOver, bob.Identity.Package.AgreementKey, KeySchedule.KeyReference(bob.Identity.Package.AgreementKey)),
                Carried(carol, leaves));
            h.Store(alice, EventKind.Commit, commit.ToBytes(), alice.State.ServerEpoch);
            var epoch = bob.State.Epoch;
            Assert.Equal(RejectReason.KeyReferenceMismatch, bob.CatchUp().Last().Code);
            Assert.Equal(RejectReason.KeyReferenceMismatch, carol.CatchUp().Last().Code);
            Assert.Equal(RejectReason.KeyReferenceMismatch, alice.CatchUp().Last().Code);
            Assert.Equal(epoch, bob.State.Epoch);
        }
    }

    [Fact]
    public void A_format_2_commit_without_its_committer_or_external_key_is_refused()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var leaves = alice.State.Export().Leaves;
            var built = Build(alice, CommitReason.Update, Carried(bob, leaves));
            foreach (var broken in new[] { built with { ExternalKey = [] }, built with { SealedExternalKey = new byte[10] } })
            {
                var signed = broken with { Signature = OpenChat.Engine.Crypto.Signatures.Sign(alice.Identity.SigningKey, broken.SignedPart()) };
                Assert.Equal(RejectReason.CommitKeysMalformed, bob.Deliver(Event(h, alice, signed)).Code);
            }
        }
    }

    [Fact]
    public void A_commit_by_this_device_opens_only_with_the_pending_entry_it_saved_before_publishing()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var before = alice.State.Export();
            var (body, builtOn) = alice.State.CreateUpdateCommit();
            Assert.Equal(1, alice.State.PendingCommitCount);
            // Saved after the commit was made and before it left: a restart applies it.
            var saved = alice.State.Export();
            h.Store(alice, EventKind.Commit, body, builtOn);
            var restarted = GroupState.Import(saved, alice.Identity, alice.Verifier, h.Time);
            var rolledBack = GroupState.Import(before, alice.Identity, alice.Verifier, h.Time);
            foreach (var e in h.Log.Skip((int)(h.Log.Count - 1)))
            {
                Assert.Equal(GroupOutcomeKind.Applied, restarted.Process(e).Kind);
                Assert.Equal(RejectReason.OwnCommitNotPending, rolledBack.Process(e).Code);
            }

            Assert.Equal(0, restarted.PendingCommitCount);
            bob.CatchUp();
            var sent = restarted.Encrypt("after a restart"u8, ContentType.Text, h.Time.GetUtcNow());
            h.Store(alice, EventKind.Chat, sent);
            bob.CatchUp();
            Assert.Equal("after a restart", bob.Texts.Last());
        }
    }

    [Fact]
    public void A_pending_entry_is_erased_once_another_commit_takes_its_epoch()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var (lost, builtOn) = alice.State.CreateUpdateCommit();
            bob.Change(CommitReason.Update);
            Assert.Throws<InvalidOperationException>(() => h.Store(alice, EventKind.Commit, lost, builtOn));
            alice.CatchUp();
            Assert.Equal(0, alice.State.PendingCommitCount);
            Assert.Empty(alice.State.Export().PendingCommits);
            alice.Send("still talking");
            bob.CatchUp();
            Assert.Equal("still talking", bob.Texts.Last());
        }
    }

    [Fact]
    public void The_committers_leaf_is_its_new_key_and_its_previous_leaf_key_is_gone_from_its_state()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var first = bob.State.Export().LeafPrivate!;
            bob.Change(CommitReason.Update);
            var second = bob.State.Export();
            Assert.False(second.LeafPrivate!.AsSpan().SequenceEqual(first));
            var commit = Commit.Parse(h.Log.Last(e => e.Kind == EventKind.Commit).Body);
            alice.CatchUp();
            Assert.Equal(commit.CommitterKey, alice.State.Export().Leaves[bob.Identity.Serial]);
            Assert.Equal(commit.CommitterKey, second.Leaves[bob.Identity.Serial]);
        }
    }

    [Fact]
    public void Two_commits_for_one_epoch_give_different_epoch_secrets_even_from_one_joiner_secret()
    {
        var joiner = RandomNumberGenerator.GetBytes(32);
        var a = KeySchedule.EpochSecret(joiner, "ops", 5, SHA256.HashData("a"u8));
        var b = KeySchedule.EpochSecret(joiner, "ops", 5, SHA256.HashData("b"u8));
        Assert.False(a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public void A_removal_makes_every_remaining_member_due_an_update()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var carol = h.AddJoined("carol");
            bob.CatchUp();
            bob.Change(CommitReason.Update);
            alice.CatchUp();
            Assert.False(bob.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            h.Revoke(carol);
            alice.Change(CommitReason.Remove, removed: [carol]);
            bob.CatchUp();
            Assert.True(bob.State.RemovalSinceOwnCommit);
            Assert.True(bob.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            // The remover's own commit already gave it a new leaf.
            Assert.False(alice.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            bob.Change(CommitReason.Update);
            Assert.False(bob.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
        }
    }

    [Fact]
    public void A_device_added_by_someone_else_is_due_an_update_at_once()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var carol = h.Add("carol");
            carol.Publish();
            alice.Change(CommitReason.Add, added: [carol]);
            carol.CatchUp();
            Assert.True(carol.State.IsMember);
            Assert.True(carol.State.LeafIsPackageKey);
            Assert.True(carol.State.NeedsKeyUpdate(h.Time.GetUtcNow()));
            carol.Change(CommitReason.Update);
            Assert.False(carol.State.LeafIsPackageKey);
            bob.CatchUp();
            carol.Send("updated");
            bob.CatchUp();
            Assert.Equal("updated", bob.Texts.Last());
        }
    }

    [Fact]
    public void A_format_1_state_migrates_on_import_and_a_join_onto_a_format_1_epoch_wraps_the_joiner_secret_to_everyone()
    {
        using var h = new GroupHarness();
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        StoreLegacy(h, alice, CommitReason.Create, alice);
        bob.Publish();
        bob.CatchUp();
        var secret = StoreLegacy(h, bob, CommitReason.Join, alice, bob);
        alice.CatchUp();

        // bob's state as a client of the first key schedule saved it: the epoch secret, no leaves.
        var old = bob.State.Export();
        old.Format = 1;
        old.EpochSecret = secret;
        old.HoldsEpoch = false;
        old.InitSecret = null;
        old.Leaves = [];
        old.Receiving = [];
        var migrated = GroupState.Import(old, bob.Identity, bob.Verifier, h.Time);
        Assert.Null(old.EpochSecret);
        Assert.True(migrated.IsMember);
        Assert.True(migrated.LeafIsPackageKey);
        Assert.True(migrated.NeedsKeyUpdate());
        var saved = migrated.Export();
        Assert.Null(saved.EpochSecret);
        Assert.Equal(bob.Identity.Package.AgreementKey, saved.Leaves[bob.Identity.Serial]);
        var sent = alice.Send("to the migrated state");
        Assert.Equal(GroupOutcomeKind.Message, migrated.Process(sent).Kind);

        // A join onto the format-1 epoch: no external key, so both members get the joiner secret.
        var carol = h.AddJoined("carol");
        alice.CatchUp();
        bob.CatchUp();
        Assert.Equal(alice.State.Epoch, carol.State.Epoch);
        Assert.True(carol.State.IsMember);
        alice.Send("after the join");
        bob.CatchUp();
        carol.CatchUp();
        Assert.Equal("after the join", bob.Texts.Last());
        Assert.Equal("after the join", carol.Texts.Last());
    }

    [Fact]
    public void A_format_1_commit_is_refused_once_the_room_has_a_format_2_commit()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            // A thief holding alice's stolen keys signs a commit of the first key schedule, whose
            // epoch secret it chooses and wraps to everyone's long-term keys: nobody goes back to it.
            var restarted = GroupState.Import(alice.State.Export(), alice.Identity, alice.Verifier, h.Time);
            var epoch = bob.State.Epoch;
            StoreForged(h, alice, alice, bob);
            Assert.Equal(RejectReason.LegacyCommitInFormat2Room, bob.CatchUp().Last().Code);
            Assert.Equal(RejectReason.LegacyCommitInFormat2Room, restarted.Process(h.Log.Last()).Code);
            Assert.Equal(epoch, bob.State.Epoch);
            alice.CatchUp();
            alice.Send("still format 2");
            bob.CatchUp();
            Assert.Equal("still format 2", bob.Texts.Last());
        }
    }

    [Fact]
    public void A_format_1_commit_under_this_devices_serial_is_refused()
    {
        using var h = new GroupHarness();
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        StoreLegacy(h, alice, CommitReason.Create, alice);
        bob.Publish();
        bob.CatchUp();
        StoreLegacy(h, bob, CommitReason.Join, alice, bob);
        alice.CatchUp();
        Assert.True(alice.State.IsMember);
        // Still a format-1 room; a commit of the first key schedule under alice's serial can only
        // come from someone holding her stolen key (this client makes none): her device refuses it.
        var epoch = alice.State.Epoch;
        StoreForged(h, alice, alice, bob);
        Assert.Equal(RejectReason.OwnCommitNotPending, alice.CatchUp().Last().Code);
        Assert.Equal(epoch, alice.State.Epoch);
    }

    [Fact]
    public void A_commit_whose_sealed_external_key_is_not_its_external_keys_private_half_is_refused()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            // A malicious member seals another scalar under the real joiner secret: it opens, but
            // the next honest join would then be refused by everyone while its joiner applied it.
            var state = alice.State;
            var (commit, pending) = CommitBuilder.Build(state.Room, state.Epoch + 1, state.LastCommitHash, alice.Identity.Serial, alice.Identity.SigningKey,
                CommitReason.Update, state.Policy,
                [new CommitTarget(alice.Identity.Serial, CommitTargetKind.Committer, [], []), Carried(bob, state.Export().Leaves)],
                CommitInit.Member(state.Export().InitSecret!));
            using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var sealedOther = KeySchedule.SealExternal(pending.JoinerSecret, KeySchedule.Scalar(other), state.Room, commit.Epoch, commit.ExternalKey);
            var forged = commit with { SealedExternalKey = sealedOther };
            forged = forged with { Signature = OpenChat.Engine.Crypto.Signatures.Sign(alice.Identity.SigningKey, forged.SignedPart()) };
            var epoch = bob.State.Epoch;
            Assert.Equal(RejectReason.ExternalKeyMismatch, bob.Deliver(Event(h, alice, forged)).Code);
            Assert.Equal(epoch, bob.State.Epoch);
            Assert.True(KeySchedule.IsPrivateHalfOf(KeySchedule.Scalar(other), OpenChat.Engine.Crypto.Signatures.PublicPoint(other)));
            Assert.False(KeySchedule.IsPrivateHalfOf(new byte[32], commit.ExternalKey));
        }
    }

    [Fact]
    public void A_commit_whose_committer_key_is_a_leaf_already_in_the_group_is_refused()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var leaves = alice.State.Export().Leaves;
            var built = Build(alice, CommitReason.Update, Carried(bob, leaves));
            // An "update" to alice's own current leaf heals nothing; bob's leaf would be shared.
            foreach (var reused in new[] { leaves[alice.Identity.Serial], leaves[bob.Identity.Serial] })
            {
                var forged = built with { CommitterKey = reused };
                forged = forged with { Signature = OpenChat.Engine.Crypto.Signatures.Sign(alice.Identity.SigningKey, forged.SignedPart()) };
                Assert.Equal(RejectReason.CommitterKeyNotFresh, bob.Deliver(Event(h, alice, forged)).Code);
            }
        }
    }

    [Fact]
    public void A_state_saved_between_a_send_and_its_echo_cannot_open_what_the_device_sent()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send("mine");
            // Saved (or stolen) before the message came back: no chain for alice's own serial.
            var saved = alice.State.Export();
            Assert.DoesNotContain(saved.Receiving.Keys, k => string.Equals(k, alice.Identity.Serial, StringComparison.OrdinalIgnoreCase));
            var restarted = GroupState.Import(saved, alice.Identity, alice.Verifier, h.Time);
            Assert.Equal(GroupOutcomeKind.NotForUs, restarted.Process(sent).Kind);
            // The running device still shows its own message when it comes back, once.
            Assert.Equal(GroupOutcomeKind.Message, alice.Deliver(sent).Kind);
            Assert.Equal(GroupOutcomeKind.NotForUs, alice.Deliver(sent).Kind);
            bob.CatchUp();
            Assert.Equal("mine", bob.Texts.Last());
        }
    }

    private static void StoreForged(GroupHarness h, GroupHarness.Member victim, params GroupHarness.Member[] members)
    {
        var (forged, secret) = Commit.CreateLegacy(h.Room, victim.State.Epoch + 1, victim.State.LastCommitHash, victim.Identity.Serial,
            victim.Identity.SigningKey, CommitReason.Rotate, members.Select(m => m.Identity.Package).ToList());
        CryptographicOperations.ZeroMemory(secret);
        h.Store(victim, EventKind.Commit, forged.ToBytes(), victim.State.ServerEpoch);
    }

    private static Commit Build(GroupHarness.Member by, CommitReason reason, params CommitTarget[] others)
    {
        var state = by.State;
        var init = state.Export().InitSecret!;
        var (commit, _) = CommitBuilder.Build(state.Room, state.Epoch + 1, state.LastCommitHash, by.Identity.Serial, by.Identity.SigningKey, reason, state.Policy,
            [new CommitTarget(by.Identity.Serial, CommitTargetKind.Committer, [], []), .. others], CommitInit.Member(init));
        return commit;
    }

    private static CommitTarget Carried(GroupHarness.Member member, Dictionary<string, byte[]> leaves) =>
        new(member.Identity.Serial, CommitTargetKind.CarriedOver, leaves[member.Identity.Serial], KeySchedule.KeyReference(leaves[member.Identity.Serial]));

    private static RoomEvent Event(GroupHarness h, GroupHarness.Member by, Commit commit) =>
        new(h.Room, (ulong)h.Log.Count + 1, Guid.NewGuid(), by.Identity.UserName, by.Identity.Serial, EventKind.Commit, by.State.ServerEpoch, h.Time.GetUtcNow(),
            commit.ToBytes());

    private static byte[] StoreLegacy(GroupHarness h, GroupHarness.Member by, CommitReason reason, params GroupHarness.Member[] members) =>
        LegacyCommits.Store(h, by, reason, members);
    [Fact]
    public void A_saved_leaf_key_reads_back_and_a_damaged_one_or_one_on_an_unknown_curve_is_a_crypto_error()
    {
        using var leaf = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var exported = leaf.ExportECPrivateKey();
        using (var back = KeySchedule.ImportPrivate(exported))
        {
            Assert.Equal(leaf.PublicKey.ExportSubjectPublicKeyInfo(), back.PublicKey.ExportSubjectPublicKeyInfo());
        }

        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<OpenChat.Engine.Crypto.CryptoException>(() => KeySchedule.ImportPrivate(Tests.Unit.Client.StateFileDamageTests.WithUnknownCurve(exported)));
        Assert.Throws<OpenChat.Engine.Crypto.CryptoException>(() => KeySchedule.ImportPrivate(exported[..^3]));
        Assert.Throws<OpenChat.Engine.Crypto.CryptoException>(() => KeySchedule.ImportPrivate([.. exported, 0]));
        Assert.Throws<OpenChat.Engine.Crypto.CryptoException>(() => KeySchedule.ImportPrivate(p384.ExportECPrivateKey()));
    }
}
