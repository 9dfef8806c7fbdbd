using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Changes of epoch: creating a commit, and applying one from the sequence once
/// <see cref="CommitProcessor"/> has checked it (chain, committer, members, who may make which
/// change, as of the time it was sequenced).</summary>
public sealed partial class GroupState
{
    /// <summary>A commit of a new epoch for <paramref name="memberSerials"/> (this device is added
    /// if missing) under <paramref name="policy"/> (null: the room's current <see cref="Policy"/>).
    /// The state changes only when the commit comes back in the sequence.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateCommit(CommitReason reason, IEnumerable<string> memberSerials, RoomPolicy? policy = null)
    {
        var serials = memberSerials.Append(_me.Serial).Distinct(Roster.SerialComparer).ToList();
        var packages = new List<KeyPackage>();
        foreach (var serial in serials)
        {
            if (Roster.SameSerial(serial, _me.Serial))
            {
                packages.Add(_roster.TryGetPackage(serial, out var own) ? own : _me.Package);
            }
            else if (_roster.TryGetPackage(serial, out var package)
                && (_roster.Contains(serial) || _validity.ValidAt(package, SendingTime)))
            {
                // A current member is carried over as it is (a join or rotation may not drop
                // anyone); only members being added must be valid now.
                packages.Add(package);
            }
            else
            {
                throw new CryptoException($"No valid key package for member {serial}; it cannot be added.");
            }
        }

        var (commit, secret) = Commit.Create(Room, Epoch + 1, LastCommitHash, _me.Serial, _me.SigningKey, reason, packages, policy ?? Policy);
        CryptographicOperations.ZeroMemory(secret);
        return (commit.ToBytes(), ServerEpoch);
    }

    /// <summary>The renewal of this device's place (<see cref="NeedsRenewal"/>): its renewed
    /// certificate in place of the previous one, every other member as they are.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateRenewCommit()
    {
        if (!NeedsRenewal)
        {
            throw new CryptoException("This device has no place in the room's group to renew.");
        }

        var previous = RenewingFrom!;
        return CreateCommit(CommitReason.Renew, _roster.Members.Where(s => !Roster.SameSerial(s, previous)).ToList());
    }

    private GroupOutcome ProcessCommit(RoomEvent e, DateTimeOffset at)
    {
        if (CommitProcessor.Stage(Position, _roster, _validity, _me, OwnMemberSerial, e, at, out var staged) is { } refusal)
        {
            return GroupOutcome.Reject(refusal);
        }

        return Merge(staged!, e);
    }

    // Applies a commit that passed every check: the new epoch's members, secret and ratchets.
    private GroupOutcome Merge(StagedCommit staged, RoomEvent e)
    {
        var commit = staged.Commit;
        var wasMember = OwnMemberSerial is not null && CanRead && !HasDeparted;
        _roster.Advance(staged.Members, commit.Reason == CommitReason.Join ? staged.CommitterSerial : null);
        Epoch = commit.Epoch;
        EpochStarted = e.Time;
        Policy = commit.Policy;
        LastCommitHash = commit.Hash;
        if (RenewingFrom is { } previous && !_roster.Contains(previous))
        {
            // Renewed (this device's own renewal), or removed under the previous certificate.
            RenewingFrom = null;
        }

        _keys.Start(staged.Secret, Room, Epoch, OwnMemberSerial ?? _me.Serial);
        var notice = commit.Reason.ToString();
        if (wasMember && _keys.Secret is null)
        {
            notice = "RemovedFromRoom";
        }

        return new GroupOutcome(GroupOutcomeKind.Applied, Notice: notice);
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
            return CommitPolicy.RemovesEntitledMember(_roster, _validity, Commit.Parse(e.Body), JudgeTimeOf(e));
        }
        catch (Exception ex)
        {
            // Whatever a hostile commit makes this look throw, Process refuses it on its own.
            GroupLog.RemovalLookFailed(_log, ex, Room, e.Sequence, ex.GetType().Name);
            return false;
        }
    }
}
