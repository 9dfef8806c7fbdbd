using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>A commit that passed every check, with what applying it needs: the members of the new
/// epoch and, when this device is one of them, the epoch secret already opened. Nothing has
/// changed yet; <see cref="GroupState"/> merges it.</summary>
internal sealed record StagedCommit(Commit Commit, string CommitterSerial, IReadOnlyList<string> Members, byte[]? Secret);

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
    public static Refusal? Stage(GroupPosition position, Roster roster, MemberValidity validity, GroupIdentity me, string? listedAs, RoomEvent e,
        DateTimeOffset at, out StagedCommit? staged)
    {
        staged = null;
        var commit = Commit.Parse(e.Body);
        if (CommitPolicy.CheckPlace(position, roster, validity, commit, e, at, out var committer) is { } misplaced)
        {
            return misplaced;
        }

        if (!Signatures.Verify(roster.SigningKeyOf(committer!), commit.SignedPart(), commit.Signature))
        {
            return new Refusal(RejectReason.BadCommitSignature, "commit signature does not verify");
        }

        if (CommitPolicy.CheckMembers(position, roster, validity, commit, e, at, out var members) is { } refused)
        {
            return refused;
        }

        byte[]? secret = null;
        var own = members.FirstOrDefault(s => Roster.SameSerial(s, me.Serial))
            ?? (listedAs is null ? null : members.FirstOrDefault(s => Roster.SameSerial(s, listedAs)));
        if (own is not null)
        {
            // Opened before anything changes: a commit that cannot be opened leaves the state as it was.
            secret = commit.Unwrap(own, me.AgreementKey);
            if (secret is null)
            {
                return new Refusal(RejectReason.SecretDoesNotOpen, "the commit's secret for this device does not open");
            }
        }

        staged = new StagedCommit(commit, committer!.Serial, members, secret);
        return null;
    }
}
