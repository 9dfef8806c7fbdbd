using System.Security.Cryptography;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Where the group stands in its commit chain: what the next commit must follow, and
/// the policy it must keep or change only as an admin may (null: <see cref="RoomPolicy.Legacy"/>).</summary>
internal readonly record struct GroupPosition(string Room, ulong Epoch, byte[] LastCommitHash, RoomPolicy? Policy = null);

/// <summary>
/// The rules a commit must meet before anyone applies it, as of the time it was sequenced. It is
/// pure: it reads the group's position, its roster and the revocations this device knows, and
/// changes nothing, so every rule can be tried on its own. The commit's signature is checked
/// between the two steps (<see cref="CommitProcessor"/>), with the key <see cref="CheckPlace"/> finds.
/// </summary>
internal static class CommitPolicy
{
    private const string UnknownOrInvalidCommitter = "commit by an unknown or invalid committer";

    /// <summary>Where the commit goes and whose it is: this room, the next epoch, chained to the
    /// last commit, by a committer with a verified package valid then, published by that device.</summary>
    public static Refusal? CheckPlace(GroupPosition position, Roster roster, MemberValidity validity, Commit commit, RoomEvent e,
        DateTimeOffset at, out KeyPackage? committer)
    {
        committer = null;
        if (!string.Equals(commit.Room, position.Room, StringComparison.Ordinal))
        {
            return new Refusal(RejectReason.AnotherRoom, "commit for another room");
        }

        if (commit.Epoch != position.Epoch + 1)
        {
            return commit.Epoch <= position.Epoch
                ? new Refusal(RejectReason.StaleCommit, "stale commit (an epoch already passed)")
                : new Refusal(RejectReason.CommitSkipsEpochs, "commit skips epochs");
        }

        if (!CryptographicOperations.FixedTimeEquals(commit.ParentHash, position.LastCommitHash))
        {
            return new Refusal(RejectReason.ParentMismatch, "forked epoch: the commit does not follow the last one");
        }

        if (!roster.TryGetPackage(commit.CommitterSerial, out var known))
        {
            return new Refusal(RejectReason.UnknownCommitter, UnknownOrInvalidCommitter);
        }

        if (validity.ProblemAt(known, at) is { } problem)
        {
            return problem with { Reason = UnknownOrInvalidCommitter };
        }

        if (!Roster.SameSerial(known.Serial, e.SenderSerial))
        {
            return new Refusal(RejectReason.CommitterNotPublisher, "commit published under another identity");
        }

        committer = known;
        return null;
    }

    /// <summary>The new epoch's members (each known by the package the commit names, listed once,
    /// the added ones valid then) and who may make which change.</summary>
    public static Refusal? CheckMembers(GroupPosition position, Roster roster, MemberValidity validity, Commit commit, RoomEvent e,
        DateTimeOffset at, out IReadOnlyList<string> newMembers)
    {
        var members = new List<string>();
        var listed = Roster.SerialSet([]);
        newMembers = members;
        if (CommitKeyCheck.Keys(roster, commit) is { } malformed)
        {
            return malformed;
        }

        foreach (var member in commit.Members)
        {
            var serial = member.SerialHex;
            if (!roster.TryGetPackage(serial, out var package)
                || (commit.FormatVersion == Commit.LegacyVersion && !package.Reference.AsSpan().SequenceEqual(member.PackageReference)))
            {
                return new Refusal(RejectReason.UnverifiedMemberPackage, $"commit names member {serial} with a key package this device has not verified");
            }

            if (CommitKeyCheck.Member(roster, commit, member, package) is { } wrongKey)
            {
                return wrongKey;
            }

            // Members carried over from the epoch before were judged when they were added (a join
            // or rotation may not drop anyone; only a removal does). Added ones must be valid now.
            if (!roster.Contains(serial) && validity.ProblemAt(package, at) is { } why)
            {
                return why with { Reason = $"commit adds member {serial} whose key package is not valid: {why.Reason}" };
            }

            if (!listed.Add(serial))
            {
                return new Refusal(RejectReason.DuplicateMember, "commit lists a member twice");
            }

            members.Add(serial);
        }

        if (Authorize(position, roster, validity, commit, e, at, listed) is { } refusal)
        {
            return refusal;
        }

        if (DirectUsersOf(position.Room) is { } allowed && members.Any(s => !allowed.Contains(roster.Packages[s].UserName, Roster.NameComparer)))
        {
            return new Refusal(RejectReason.DirectRoomOutsider, "a direct conversation may hold only its two users' devices");
        }

        return null;
    }

    /// <summary>True when <paramref name="commit"/> removes a member this device does not know to
    /// be revoked, expired or departed at <paramref name="at"/>.</summary>
    public static bool RemovesEntitledMember(Roster roster, MemberValidity validity, Commit commit, DateTimeOffset at)
    {
        if (commit.Reason != CommitReason.Remove)
        {
            return false;
        }

        var kept = Roster.SerialSet(commit.Members.Select(m => m.SerialHex));
        return roster.Members.Any(s => !kept.Contains(s) && !validity.MayBeRemoved(roster, s, at));
    }

    /// <summary>For a direct room ("@a+b"), the two users it is for; null for an open room.</summary>
    public static IReadOnlyList<string>? DirectUsersOf(string room)
    {
        if (!room.StartsWith('@') || room.IndexOf('+') is var plus && plus < 0)
        {
            return null;
        }

        return [room[1..plus], room[(plus + 1)..]];
    }

    // Who may make which change. An open room takes anyone with a valid certificate who joins
    // itself, a private one only the users its policy names (RolePolicy, which also judges every
    // change of the policy); nobody may drop a member who is still entitled to read.
    private static Refusal? Authorize(GroupPosition position, Roster old, MemberValidity validity, Commit commit, RoomEvent e, DateTimeOffset at,
        HashSet<string> newMembers)
    {
        var committer = commit.CommitterSerial;
        var committerWasMember = old.Contains(committer);
        if (!newMembers.Contains(committer))
        {
            return new Refusal(RejectReason.CommitterNotInNewEpoch, "the committer is not a member of the new epoch");
        }

        if (RolePolicy.Check(position.Policy ?? RoomPolicy.Legacy, old, commit, newMembers) is { } denied)
        {
            return denied;
        }

        var keepsAll = old.Members.All(newMembers.Contains);
        var same = old.SameMembersAs(newMembers);
        return commit.Reason switch
        {
            // Only the room's first commit may found its group: a newcomer who cannot follow the
            // history must never start a second group beside the real one.
            CommitReason.Create when position.Epoch != 0 || old.Count != 0 || e.Epoch != 0 =>
                Refuse(RejectReason.CreateNotFirst, "a create commit on a room that already has a group"),
            CommitReason.Create when newMembers.Count != 1 => Refuse(RejectReason.CreateWithOthers, "a create commit must hold only its committer"),
            CommitReason.Create => null,
            // A device whose user announced a departure may join again without anyone removing it
            // first; that changes nothing but the epoch, and ends the departure.
            CommitReason.Join when old.Count == 0 => Refuse(RejectReason.JoinWithoutGroup, "a join of a room that has no group yet (only a create founds one)"),
            CommitReason.Join when committerWasMember && !old.IsDeparted(committer) => Refuse(RejectReason.JoinByMember, "a join by a current member"),
            CommitReason.Join when committerWasMember && !same => Refuse(RejectReason.RejoinChangesOthers, "a rejoin that also adds or removes others"),
            CommitReason.Join when committerWasMember => null,
            CommitReason.Join when !(newMembers.Count == old.Count + 1 && keepsAll) => Refuse(RejectReason.JoinChangesOthers, "a join that also adds or removes others"),
            CommitReason.Join => null,
            CommitReason.Renew => RenewalPolicy.Check(old, validity, commit, at, newMembers),
            _ when !committerWasMember => Refuse(RejectReason.CommitterNotAMember, "a commit by someone who is not a member"),
            CommitReason.Add when !(keepsAll && newMembers.Count > old.Count) => Refuse(RejectReason.AddRemovesMembers, "an add that removes members"),
            CommitReason.Remove when !(newMembers.All(old.Contains) && newMembers.Count < old.Count) => Refuse(RejectReason.RemovalAddsMembers, "a removal that adds members"),
            CommitReason.Remove when old.Members.FirstOrDefault(s => !newMembers.Contains(s) && !validity.MayBeRemoved(old, s, at)) is { } kept =>
                Refuse(RejectReason.RemovalOfEntitledMember, $"a removal of member {kept}, who was neither revoked, expired nor departed when it was sequenced"),
            CommitReason.Rotate or CommitReason.Update when !same => Refuse(RejectReason.RotationChangesMembers, "a rotation or key update that changes members"),
            CommitReason.Add or CommitReason.Remove or CommitReason.Rotate or CommitReason.Update => null,
            CommitReason.Manage => null, // judged whole by RolePolicy above
            _ => Refuse(RejectReason.UnknownCommitReason, "unknown commit reason"),
        };
    }

    private static Refusal Refuse(RejectReason code, string reason) => new(code, reason);
}
