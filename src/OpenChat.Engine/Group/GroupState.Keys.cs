namespace OpenChat.Engine.Group;

/// <summary>When this device is due a key update (<see cref="CommitReason.Update"/>), which heals
/// the room after a compromise of this device: its leaf replaced by a key no thief has seen.</summary>
public sealed partial class GroupState
{
    /// <summary>How long this device's leaf may serve before an update is due (<c>ChatClientOptions.KeyUpdateInterval</c>).</summary>
    public TimeSpan KeyUpdateInterval { get; set; } = DefaultKeyUpdateInterval;

    /// <summary>How many messages the room may see under this device's leaf before an update is
    /// due (<c>ChatClientOptions.KeyUpdateAfterMessages</c>), counted from every sender.</summary>
    public int KeyUpdateAfterMessages { get; set; } = DefaultKeyUpdateAfterMessages;

    /// <summary>When this device's leaf was set (by this device's clock, or the room's when that was later).</summary>
    public DateTimeOffset LeafSet => _leaf.SetAt;

    /// <summary>Messages the room saw since this device's leaf was set.</summary>
    public int MessagesSinceLeaf => _leaf.MessagesSince;

    /// <summary>This device's leaf is still its package's agreement key (the long-term key it was
    /// added with by someone else, or a room from before the format-2 key schedule).</summary>
    public bool LeafIsPackageKey => _leaf.IsPackageKey;

    /// <summary>A removal was applied since this device last committed.</summary>
    public bool RemovalSinceOwnCommit => _leaf.RemovalSinceOwnCommit;

    /// <summary>How many commits of this device wait to come back (their keys saved before they were published).</summary>
    public int PendingCommitCount => _leaf.Pending.Count;

    public bool NeedsKeyUpdate() => NeedsKeyUpdate(SendingTime);

    /// <summary>An update is due: the leaf is the package key, a removal was applied since this
    /// device's last commit, or the leaf is older than <see cref="KeyUpdateInterval"/> or has seen
    /// <see cref="KeyUpdateAfterMessages"/> messages.</summary>
    public bool NeedsKeyUpdate(DateTimeOffset now) => IsMember
        && (_leaf.IsPackageKey || _leaf.RemovalSinceOwnCommit || _leaf.MessagesSince >= KeyUpdateAfterMessages || now - _leaf.SetAt >= KeyUpdateInterval);

    /// <summary>The update of this device's leaf: the same members, the same policy, a new key.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateUpdateCommit() => CreateCommit(CommitReason.Update, _roster.Members.ToList());
}
