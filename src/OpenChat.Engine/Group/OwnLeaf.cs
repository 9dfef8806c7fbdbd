using System.Security.Cryptography;

namespace OpenChat.Engine.Group;

/// <summary>
/// This device's own key-agreement key in the room (its leaf) and the commits it made that have
/// not come back yet. The leaf starts as the device's package key (when it was added by someone
/// else, or in a state from before the format-2 key schedule) and becomes the fresh key of each
/// of its own commits; a superseded leaf private key is erased at once, and so is every pending
/// entry as soon as the epoch it was for has been taken by some commit. It also keeps what says
/// when an update is due: when the leaf was set, how many messages the room saw since, and
/// whether a removal was applied since this device last committed.
/// </summary>
internal sealed class OwnLeaf
{
    /// <summary>Commits made and not yet seen applied that are kept (the oldest is erased past it).</summary>
    public const int MaxPending = 8;

    private readonly List<PendingCommitData> _pending = [];
    private byte[]? _private;

    /// <summary>True while the leaf is the device's package agreement key (long-term, the same in every room).</summary>
    public bool IsPackageKey => _private is null;

    public DateTimeOffset SetAt { get; private set; }

    public int MessagesSince { get; private set; }

    public bool RemovalSinceOwnCommit { get; private set; }

    public IReadOnlyList<PendingCommitData> Pending => _pending;

    public static OwnLeaf Restore(GroupStateData data)
    {
        var leaf = new OwnLeaf
        {
            // The state file writes a missing key as an empty one.
            _private = data.LeafPrivate is { Length: > 0 } key ? (byte[])key.Clone() : null,
            SetAt = data.LeafSet,
            MessagesSince = data.MessagesSinceLeaf,
            RemovalSinceOwnCommit = data.RemovalSinceOwnCommit,
        };
        foreach (var pending in data.PendingCommits)
        {
            leaf._pending.Add(new PendingCommitData
            {
                Epoch = pending.Epoch,
                Hash = (byte[])pending.Hash.Clone(),
                JoinerSecret = (byte[])pending.JoinerSecret.Clone(),
                LeafPrivate = (byte[])pending.LeafPrivate.Clone(),
            });
        }

        return leaf;
    }

    public void ExportInto(GroupStateData data)
    {
        data.LeafPrivate = _private is null ? null : (byte[])_private.Clone();
        data.LeafSet = SetAt;
        data.MessagesSinceLeaf = MessagesSince;
        data.RemovalSinceOwnCommit = RemovalSinceOwnCommit;
        data.PendingCommits = _pending.Select(p => new PendingCommitData
        {
            Epoch = p.Epoch,
            Hash = (byte[])p.Hash.Clone(),
            JoinerSecret = (byte[])p.JoinerSecret.Clone(),
            LeafPrivate = (byte[])p.LeafPrivate.Clone(),
        }).ToList();
    }

    /// <summary>Runs <paramref name="use"/> with the leaf's private key: the device's package key
    /// (<paramref name="packageKey"/>, not disposed) while the leaf is that, else the leaf's own.</summary>
    public T WithPrivate<T>(ECDiffieHellman packageKey, Func<ECDiffieHellman, T> use)
    {
        if (_private is null)
        {
            return use(packageKey);
        }

        using var key = KeySchedule.ImportPrivate(_private);
        return use(key);
    }

    /// <summary>Keeps a commit this device made, until it comes back or its epoch is taken.</summary>
    public void AddPending(PendingCommitData pending)
    {
        _pending.Add(pending);
        while (_pending.Count > MaxPending)
        {
            _pending[0].Erase();
            _pending.RemoveAt(0);
        }
    }

    /// <summary>The pending entry of <paramref name="commit"/> (same epoch and hash), or null.</summary>
    public PendingCommitData? PendingFor(Commit commit)
    {
        var hash = commit.Hash;
        return _pending.FirstOrDefault(p => p.Epoch == commit.Epoch && CryptographicOperations.FixedTimeEquals(p.Hash, hash));
    }

    /// <summary>This device's own commit was applied: its key is the leaf from now on, the old one is erased.</summary>
    public void Take(PendingCommitData own, DateTimeOffset at)
    {
        Erase(_private);
        _private = (byte[])own.LeafPrivate.Clone();
        SetAt = at;
        MessagesSince = 0;
        RemovalSinceOwnCommit = false;
    }

    /// <summary>Added by someone else: the leaf is the package key again (an update is due at once).</summary>
    public void ResetToPackageKey(DateTimeOffset at)
    {
        Erase(_private);
        _private = null;
        SetAt = at;
        MessagesSince = 0;
    }

    /// <summary>A commit for <paramref name="epoch"/> was applied: no pending entry up to it can be used any more.</summary>
    public void Settle(ulong epoch)
    {
        foreach (var stale in _pending.Where(p => p.Epoch <= epoch).ToList())
        {
            stale.Erase();
            _pending.Remove(stale);
        }
    }

    public void CountMessage() => MessagesSince++;

    public void RemovalApplied() => RemovalSinceOwnCommit = true;

    /// <summary>This device is no longer in the group (removed, or it left): nothing of its leaf stays.</summary>
    public void Forget()
    {
        Erase(_private);
        _private = null;
        Settle(ulong.MaxValue);
    }

    private static void Erase(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
