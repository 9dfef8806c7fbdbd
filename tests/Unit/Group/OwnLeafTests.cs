using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;

namespace OpenChat.Tests.Unit.Group;

/// <summary>This device's leaf and pending commits: what is kept, and what is erased when.</summary>
public sealed class OwnLeafTests
{
    private static PendingCommitData Pending(ulong epoch)
    {
        using var key = KeyAgreement.NewKey();
        return new PendingCommitData { Epoch = epoch, Hash = RandomNumberGenerator.GetBytes(32), JoinerSecret = RandomNumberGenerator.GetBytes(32), LeafPrivate = key.ExportECPrivateKey() };
    }

    [Fact]
    public void Taking_an_own_commit_makes_its_key_the_leaf_and_settling_erases_every_entry_up_to_its_epoch()
    {
        var leaf = new OwnLeaf();
        Assert.True(leaf.IsPackageKey);
        var lost = Pending(4);
        var own = Pending(5);
        var later = Pending(6);
        leaf.AddPending(lost);
        leaf.AddPending(own);
        leaf.AddPending(later);
        leaf.CountMessage();
        leaf.RemovalApplied();

        leaf.Take(own, DateTimeOffset.UnixEpoch);
        leaf.Settle(5);
        Assert.False(leaf.IsPackageKey);
        Assert.False(leaf.RemovalSinceOwnCommit);
        Assert.Equal(0, leaf.MessagesSince);
        Assert.Equal([later], leaf.Pending);
        Assert.All(new[] { lost.JoinerSecret, lost.LeafPrivate, own.JoinerSecret, own.LeafPrivate }, b => Assert.All(b, x => Assert.Equal(0, x)));

        // The leaf is the one the commit named, not what the erased entry held.
        var data = new GroupStateData();
        leaf.ExportInto(data);
        using var restored = KeySchedule.ImportPrivate(data.LeafPrivate!);
        Assert.Equal(32, KeySchedule.Scalar(restored).Length);
    }

    [Fact]
    public void At_most_eight_pending_entries_are_kept_and_the_oldest_is_erased()
    {
        var leaf = new OwnLeaf();
        var first = Pending(1);
        leaf.AddPending(first);
        for (var i = 2ul; i <= (ulong)OwnLeaf.MaxPending + 1; i++)
        {
            leaf.AddPending(Pending(i));
        }

        Assert.Equal(OwnLeaf.MaxPending, leaf.Pending.Count);
        Assert.DoesNotContain(first, leaf.Pending);
        Assert.All(first.JoinerSecret, x => Assert.Equal(0, x));
    }

    [Fact]
    public void A_device_no_longer_in_the_group_keeps_nothing_of_its_leaf()
    {
        var data = new GroupStateData { LeafPrivate = Pending(1).LeafPrivate, PendingCommits = [Pending(2)] };
        var leaf = OwnLeaf.Restore(data);
        Assert.False(leaf.IsPackageKey);
        leaf.Forget();
        Assert.True(leaf.IsPackageKey);
        Assert.Empty(leaf.Pending);
        var saved = new GroupStateData();
        leaf.ExportInto(saved);
        Assert.Null(saved.LeafPrivate);
        Assert.Empty(saved.PendingCommits);
    }

    [Fact]
    public void A_saved_state_whose_missing_leaf_was_written_as_empty_reads_as_the_package_key()
    {
        Assert.True(OwnLeaf.Restore(new GroupStateData { LeafPrivate = [] }).IsPackageKey);
    }
}
