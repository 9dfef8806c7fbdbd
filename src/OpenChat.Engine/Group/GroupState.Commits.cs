using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Changes of epoch: checking a commit (chain, committer, members, who may make which
/// change, as of the time it was sequenced) and applying it.</summary>
public sealed partial class GroupState
{
    private GroupOutcome ProcessCommit(RoomEvent e, DateTimeOffset at)
    {
        var commit = Commit.Parse(e.Body);
        if (!string.Equals(commit.Room, Room, StringComparison.Ordinal))
        {
            return GroupOutcome.Reject("commit for another room");
        }

        if (commit.Epoch != Epoch + 1)
        {
            return GroupOutcome.Reject(commit.Epoch <= Epoch ? "stale commit (an epoch already passed)" : "commit skips epochs");
        }

        if (!CryptographicOperations.FixedTimeEquals(commit.ParentHash, LastCommitHash))
        {
            return GroupOutcome.Reject("forked epoch: the commit does not follow the last one");
        }

        if (!_packages.TryGetValue(commit.CommitterSerial, out var committer) || !ValidAt(committer, at, out _))
        {
            return GroupOutcome.Reject("commit by an unknown or invalid committer");
        }

        if (!string.Equals(committer.Serial, e.SenderSerial, StringComparison.OrdinalIgnoreCase))
        {
            return GroupOutcome.Reject("commit published under another identity");
        }

        if (!Signatures.Verify(SigningKeyOf(committer), commit.SignedPart(), commit.Signature))
        {
            return GroupOutcome.Reject("commit signature does not verify");
        }

        var newMembers = new List<string>();
        foreach (var member in commit.Members)
        {
            var serial = member.SerialHex;
            if (!_packages.TryGetValue(serial, out var package) || !package.Reference.AsSpan().SequenceEqual(member.PackageReference))
            {
                return GroupOutcome.Reject($"commit names member {serial} with a key package this device has not verified");
            }

            // Members carried over from the epoch before were judged when they were added (a join
            // or rotation may not drop anyone; only a removal does). Added ones must be valid now.
            if (!_members.Contains(serial, StringComparer.OrdinalIgnoreCase) && !ValidAt(package, at, out var why))
            {
                return GroupOutcome.Reject($"commit adds member {serial} whose key package is not valid: {why}");
            }

            if (newMembers.Contains(serial, StringComparer.OrdinalIgnoreCase))
            {
                return GroupOutcome.Reject("commit lists a member twice");
            }

            newMembers.Add(serial);
        }

        if (Authorize(commit, e, at, committer.Serial, newMembers) is { } refusal)
        {
            return GroupOutcome.Reject(refusal);
        }

        if (DirectUsers() is { } allowed && newMembers.Any(s => !allowed.Contains(_packages[s].UserName, StringComparer.OrdinalIgnoreCase)))
        {
            return GroupOutcome.Reject("a direct conversation may hold only its two users' devices");
        }

        var wasMember = IsMember;
        byte[]? secret = null;
        if (newMembers.Contains(_me.Serial, StringComparer.OrdinalIgnoreCase))
        {
            // Opened before anything changes: a commit that cannot be opened leaves the state as it was.
            secret = commit.Unwrap(_me.Serial, _me.AgreementKey);
            if (secret is null)
            {
                return GroupOutcome.Reject("the commit's secret for this device does not open");
            }
        }

        _epochSecret = secret;

        // A departed device stays departed until it is removed, or until it commits its own
        // rejoin (only that device's key can sign one). Adding some other device of the same
        // user name (a new device, or one the server minted as CA) changes nothing here.
        _departedSerials.IntersectWith(newMembers);
        if (commit.Reason == CommitReason.Join)
        {
            _departedSerials.Remove(committer.Serial);
        }

        Epoch = commit.Epoch;
        EpochStarted = e.Time;
        LastCommitHash = commit.Hash;
        _members = newMembers;
        _receiving.Clear();
        _highestGeneration.Clear();
        _sentInEpoch = 0;
        _sending = _epochSecret is null ? null : SenderChain.ForSender(_epochSecret, Room, Epoch, _me.Serial);
        var notice = commit.Reason.ToString();
        if (wasMember && _epochSecret is null)
        {
            notice = "RemovedFromRoom";
        }

        return new GroupOutcome(GroupOutcomeKind.Applied, Notice: notice);
    }

    // Who may make which change. Rooms are open: anyone with a valid certificate may join itself;
    // nobody may drop a member who is still entitled to read.
    private string? Authorize(Commit commit, RoomEvent e, DateTimeOffset at, string committer, List<string> newMembers)
    {
        var old = _members;
        bool Has(List<string> list, string serial) => list.Contains(serial, StringComparer.OrdinalIgnoreCase);
        var committerWasMember = Has(old, committer);
        if (!Has(newMembers, committer))
        {
            return "the committer is not a member of the new epoch";
        }

        return commit.Reason switch
        {
            // Only the room's first commit may found its group: a newcomer who cannot follow the
            // history must never start a second group beside the real one.
            CommitReason.Create when Epoch != 0 || old.Count != 0 || e.Epoch != 0 => "a create commit on a room that already has a group",
            CommitReason.Create when newMembers.Count != 1 => "a create commit must hold only its committer",
            CommitReason.Create => null,
            // A device whose user announced a departure may join again without anyone removing it
            // first; that changes nothing but the epoch, and ends the departure.
            CommitReason.Join when old.Count == 0 => "a join of a room that has no group yet (only a create founds one)",
            CommitReason.Join when committerWasMember && !_departedSerials.Contains(committer) => "a join by a current member",
            CommitReason.Join when committerWasMember && !(newMembers.Count == old.Count && old.All(s => Has(newMembers, s))) => "a rejoin that also adds or removes others",
            CommitReason.Join when committerWasMember => null,
            CommitReason.Join when !(newMembers.Count == old.Count + 1 && old.All(s => Has(newMembers, s))) => "a join that also adds or removes others",
            CommitReason.Join => null,
            _ when !committerWasMember => "a commit by someone who is not a member",
            CommitReason.Add when !(old.All(s => Has(newMembers, s)) && newMembers.Count > old.Count) => "an add that removes members",
            CommitReason.Remove when !(newMembers.All(s => Has(old, s)) && newMembers.Count < old.Count) => "a removal that adds members",
            CommitReason.Remove when old.FirstOrDefault(s => !Has(newMembers, s) && !MayBeRemoved(s, at)) is { } kept =>
                $"a removal of member {kept}, who was neither revoked, expired nor departed when it was sequenced",
            CommitReason.Rotate when !(newMembers.Count == old.Count && old.All(s => Has(newMembers, s))) => "a rotation that changes members",
            CommitReason.Add or CommitReason.Remove or CommitReason.Rotate => null,
            _ => "unknown commit reason",
        };
    }

    /// <summary>True when <paramref name="e"/> is a removal of a member this device does not yet
    /// know to be revoked, expired or departed: the caller should learn the newest revocation
    /// list before processing it, or it would refuse a removal the others accept.</summary>
    public bool RemovalNeedsRevocations(RoomEvent e)
    {
        if (e.Kind != EventKind.Commit)
        {
            return false;
        }

        try
        {
            var commit = Commit.Parse(e.Body);
            var at = JudgeTimeOf(e);
            return commit.Reason == CommitReason.Remove
                && _members.Any(s => !commit.Members.Any(m => string.Equals(m.SerialHex, s, StringComparison.OrdinalIgnoreCase)) && !MayBeRemoved(s, at));
        }
        catch (Exception)
        {
            // Whatever a hostile commit makes this look throw, Process refuses it on its own.
            return false;
        }
    }

    // A member leaves only by a signed departure of its own user, a revocation by the CA, or the
    // end of its certificate's validity, each as of the time the removal was sequenced.
    private bool MayBeRemoved(string serial, DateTimeOffset at) =>
        _departedSerials.Contains(serial) || _verifier.MayBeRevokedAt(serial, at)
        || !_packages.TryGetValue(serial, out var package) || !ValidAt(package, at, out _);
}
