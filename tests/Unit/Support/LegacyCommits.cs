using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Format-1 commits as a client of the first key schedule made them. Such a client kept
/// the new epoch's secret for its own commit; a current client refuses a format-1 commit under its
/// own serial, so the committer here goes on from the state that old client would have saved (a
/// format-1 state, migrated on import).</summary>
public static class LegacyCommits
{
    /// <summary>Stores a format-1 commit by <paramref name="by"/> for <paramref name="members"/>; returns its epoch secret.</summary>
    public static byte[] Store(GroupHarness h, GroupHarness.Member by, CommitReason reason, params GroupHarness.Member[] members)
    {
        by.CatchUp();
        var (commit, secret) = Commit.CreateLegacy(h.Room, by.State.Epoch + 1, by.State.LastCommitHash, by.Identity.Serial, by.Identity.SigningKey, reason,
            members.Select(m => m.Identity.Package).ToList());
        var e = h.Store(by, EventKind.Commit, commit.ToBytes(), by.State.ServerEpoch);
        var data = by.State.Export();
        data.Format = 1;
        data.Epoch = commit.Epoch;
        data.ServerEpoch = Math.Max(data.ServerEpoch, e.Epoch + 1);
        data.LastCommitHash = commit.Hash;
        data.EpochStarted = e.Time;
        data.RoomClock = e.Time > data.RoomClock ? e.Time : data.RoomClock;
        data.Members = members.Select(m => m.Identity.Serial).ToList();
        data.EpochSecret = (byte[])secret.Clone();
        data.HoldsEpoch = false;
        data.InitSecret = null;
        data.ExternalPrivate = null;
        data.ExternalPublic = [];
        data.Leaves = [];
        data.LeafPrivate = null;
        data.PendingCommits = [];
        data.Receiving = [];
        data.HighestGeneration = [];
        data.Sending = null;
        data.SentInEpoch = 0;
        by.Restart(GroupState.Import(data, by.Identity, by.Verifier, h.Time));
        by.SkipTo(h.Log.Count);
        return secret;
    }
}
