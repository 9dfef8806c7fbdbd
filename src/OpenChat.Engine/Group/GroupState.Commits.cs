using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Changes of epoch: creating a commit, and applying one from the sequence once
/// <see cref="CommitProcessor"/> has checked it (chain, committer, members, who may make which
/// change, as of the time it was sequenced).</summary>
public sealed partial class GroupState
{
    /// <summary>A format-2 commit of a new epoch for <paramref name="memberSerials"/> (this device
    /// is added if missing) under <paramref name="policy"/> (null: the room's current <see cref="Policy"/>).
    /// Its pending entry (joiner secret, new leaf key) is recorded here: the caller saves the state
    /// before it publishes the commit. The epoch changes only when the commit comes back in the sequence.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateCommit(CommitReason reason, IEnumerable<string> memberSerials, RoomPolicy? policy = null)
    {
        var serials = memberSerials.Append(_me.Serial).Distinct(Roster.SerialComparer).ToList();
        var targets = new List<CommitTarget>();
        foreach (var serial in serials)
        {
            if (Roster.SameSerial(serial, _me.Serial))
            {
                targets.Add(new CommitTarget(serial, CommitTargetKind.Committer, [], []));
            }
            else if (_roster.Contains(serial) && _roster.LeafOf(serial) is { } leaf)
            {
                // A current member is carried over as it is (a join or rotation may not drop
                // anyone); only members being added must be valid now.
                targets.Add(new CommitTarget(serial, CommitTargetKind.CarriedOver, leaf, KeySchedule.KeyReference(leaf), _roster.LeafPublic(leaf)));
            }
            else if (_roster.TryGetPackage(serial, out var package) && !_roster.Contains(serial) && _validity.ValidAt(package, SendingTime))
            {
                targets.Add(new CommitTarget(serial, CommitTargetKind.Added, package.AgreementKey, package.Reference, _roster.LeafPublic(package.AgreementKey)));
            }
            else
            {
                throw new CryptoException($"No valid key package for member {serial}; it cannot be added.");
            }
        }

        var init = reason switch
        {
            CommitReason.Create => CommitInit.Create(),
            CommitReason.Join => CommitInit.Join(_external),
            _ => _keys.InitSecret is { } held ? CommitInit.Member(held)
                : throw new CryptoException("This device holds no key of the room's current epoch, so it cannot commit a change of it."),
        };
        var (commit, pending) = CommitBuilder.Build(Room, Epoch + 1, LastCommitHash, _me.Serial, _me.SigningKey, reason, policy ?? Policy, targets, init);
        _leaf.AddPending(pending);
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
        if (CommitProcessor.Stage(Position, _roster, _validity, _me, OwnMemberSerial, e, at, _leaf, _keys, _external, out var staged) is { } refusal)
        {
            return GroupOutcome.Reject(refusal);
        }

        return Merge(staged!, e);
    }

    // Applies a commit that passed every check: the new epoch's members, leaves and keys. The
    // epoch secret is erased once its chains and init secret are derived; a superseded leaf key,
    // and every pending entry this epoch makes useless, are erased too.
    private GroupOutcome Merge(StagedCommit staged, RoomEvent e)
    {
        var commit = staged.Commit;
        var wasMember = OwnMemberSerial is not null && CanRead && !HasDeparted;
        var heldLeaf = OwnMemberSerial is { } before && _roster.LeafOf(before) is not null;
        var removes = commit.Reason != CommitReason.Renew && _roster.Members.Any(s => !staged.Members.Contains(s, Roster.SerialComparer));
        _roster.Advance(staged.Members, commit.Reason == CommitReason.Join ? staged.CommitterSerial : null, staged.CommitterSerial, commit.CommitterKey);
        Epoch = commit.Epoch;
        EpochStarted = e.Time;
        Policy = commit.Policy;
        LastCommitHash = commit.Hash;
        _external = commit.ExternalKey;
        if (RenewingFrom is { } previous && !_roster.Contains(previous))
        {
            // Renewed (this device's own renewal), or removed under the previous certificate.
            RenewingFrom = null;
        }

        var opened = staged.Opened;
        // The leaf's age is measured on the clock NeedsKeyUpdate reads (this device's, or the room's
        // when that is later): a server's time would leave a device whose clock runs ahead always due.
        var setAt = SendingTime;
        if (opened?.Own is { } own)
        {
            _leaf.Take(own, setAt);
        }
        else if (opened is null)
        {
            _leaf.Forget();
        }
        else if (!heldLeaf)
        {
            // Added by someone else: the secret came wrapped to the package key, the leaf until this device updates.
            _leaf.ResetToPackageKey(setAt);
        }
        else if (removes)
        {
            _leaf.RemovalApplied();
        }

        _leaf.Settle(commit.Epoch);
        _keys.Start(opened?.EpochSecret, opened?.ExternalPrivate, Room, Epoch, OwnMemberSerial ?? _me.Serial, _roster.Members);
        var notice = commit.Reason.ToString();
        if (wasMember && !_keys.Holds)
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
