using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>A commit that passed every check, with what applying it needs: the members of the new
/// epoch and, when this device is one of them, the new epoch already opened. Nothing has
/// changed yet; <see cref="GroupState"/> merges it.</summary>
internal sealed record StagedCommit(Commit Commit, string CommitterSerial, IReadOnlyList<string> Members, OpenedEpoch? Opened);

/// <summary>
/// Checks one commit event against the group as it stands, in the order that names the first
/// thing wrong: its place in the chain (<see cref="CommitPolicy.CheckPlace"/>), the committer's
/// signature, the new members and who may change them (<see cref="CommitPolicy.CheckMembers"/>),
/// and last this device's secret in it.
/// </summary>
internal static class CommitProcessor
{
    /// <param name="listedAs">The serial this device is listed under now (its previous one while it
    /// renews, with the same agreement key), or null.</param>
    /// <param name="leaf">This device's leaf key and pending commits, <paramref name="keys"/> its keys of the current
    /// epoch and <paramref name="currentExternal"/> the current epoch's external key: what opens the commit.</param>
    public static Refusal? Stage(GroupPosition position, Roster roster, MemberValidity validity, GroupIdentity me, string? listedAs, RoomEvent e,
        DateTimeOffset at, OwnLeaf leaf, EpochKeys keys, byte[] currentExternal, out StagedCommit? staged)
    {
        staged = null;
        var commit = Commit.Parse(e.Body);
        if (CommitPolicy.CheckPlace(position, roster, validity, commit, e, at, out var committer) is { } misplaced)
        {
            return misplaced;
        }

        if (commit.FormatVersion == Commit.LegacyVersion && currentExternal.Length > 0)
        {
            // The current epoch came from a format-2 commit (only those carry an external key, and
            // it is saved with the state): a room never goes back to the first key schedule, whose
            // commits a thief with a stolen device's keys could make and read.
            return new Refusal(RejectReason.LegacyCommitInFormat2Room, "a format-1 commit in a room already at format 2");
        }

        if (!Signatures.Verify(roster.SigningKeyOf(committer!), commit.SignedPart(), commit.Signature))
        {
            return new Refusal(RejectReason.BadCommitSignature, "commit signature does not verify");
        }

        if (CommitPolicy.CheckMembers(position, roster, validity, commit, e, at, out var members) is { } refused)
        {
            return refused;
        }

        OpenedEpoch? opened = null;
        var own = members.FirstOrDefault(s => Roster.SameSerial(s, me.Serial))
            ?? (listedAs is null ? null : members.FirstOrDefault(s => Roster.SameSerial(s, listedAs)));
        var ownCommit = own is not null && (Roster.SameSerial(commit.CommitterSerial, own) || Roster.SameSerial(commit.CommitterSerial, me.Serial));
        // This device left (it erased its keys) and the commit still lists it, as a join or an
        // update carries everyone over until the departed are removed: it follows the verified
        // chain without opening anything, so that its own join later builds on the epoch everyone
        // else has, and it reads nothing of the epochs it is not in.
        var followsOnly = own is not null && !keys.Holds && !ownCommit && roster.Contains(own);
        if (own is not null && !followsOnly)
        {
            // Opened before anything changes: a commit that cannot be opened leaves the state as it was.
            if (CommitOpening.Open(commit, roster, me, own, leaf, keys, currentExternal, out opened) is { } unopened)
            {
                return unopened;
            }
        }

        staged = new StagedCommit(commit, committer!.Serial, members, opened);
        return null;
    }
}
