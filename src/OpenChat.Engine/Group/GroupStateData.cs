using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

public sealed class GroupStateData
{
    public string Room { get; set; } = "";

    public ulong Epoch { get; set; }

    public DateTimeOffset EpochStarted { get; set; }

    public DateTimeOffset RoomClock { get; set; } = DateTimeOffset.MinValue;

    public ulong ServerEpoch { get; set; }

    public byte[] LastCommitHash { get; set; } = new byte[32];

    public List<string> Members { get; set; } = [];

    public List<string> DepartedSerials { get; set; } = [];

    /// <summary>Only in states saved before the format-2 key schedule (<see cref="Format"/> 1):
    /// read once on import to derive the epoch's chains and init secret, never written again.</summary>
    public byte[]? EpochSecret { get; set; }

    /// <summary>1: a state saved before the format-2 key schedule (what a missing field reads as); 2: since.</summary>
    public int Format { get; set; } = 1;

    /// <summary>This device holds the current epoch's keys (format 2; format 1 said so by <see cref="EpochSecret"/>).</summary>
    public bool HoldsEpoch { get; set; }

    /// <summary>What the next commit by a member builds on (the epoch secret itself is never saved).</summary>
    public byte[]? InitSecret { get; set; }

    /// <summary>The current epoch's external private key (scalar), for opening joins; null when
    /// the epoch was made by a format-1 commit or this device is not in it.</summary>
    public byte[]? ExternalPrivate { get; set; }

    /// <summary>The current epoch's external public key, as its commit carried it (empty after a format-1 commit).</summary>
    public byte[] ExternalPublic { get; set; } = [];

    /// <summary>Every member's current leaf key (serial to P-256 point): what commits wrap to.</summary>
    public Dictionary<string, byte[]> Leaves { get; set; } = [];

    /// <summary>This device's own leaf private key (exported EC private key); null while its leaf
    /// is its package's agreement key.</summary>
    public byte[]? LeafPrivate { get; set; }

    /// <summary>When this device's leaf was last set (the room's time of that commit).</summary>
    public DateTimeOffset LeafSet { get; set; }

    /// <summary>Messages sequenced in the room since this device's leaf was set.</summary>
    public int MessagesSinceLeaf { get; set; }

    /// <summary>A removal was applied since this device's own last commit.</summary>
    public bool RemovalSinceOwnCommit { get; set; }

    /// <summary>This device's commits made and not yet applied (saved before each is published).</summary>
    public List<PendingCommitData> PendingCommits { get; set; } = [];

    public List<byte[]> Packages { get; set; } = [];

    public Dictionary<string, SenderChainData> Receiving { get; set; } = [];

    public Dictionary<string, uint> HighestGeneration { get; set; } = [];

    public SenderChainData? Sending { get; set; }

    public int SentInEpoch { get; set; }

    /// <summary>The serial this device is a member under while it renews to its current certificate.</summary>
    public string? RenewingFrom { get; set; }

    /// <summary>The room's policy (<see cref="RoomPolicy"/>) as of the current epoch.</summary>
    public bool Private { get; set; }

    public Dictionary<string, RoomRole> Roles { get; set; } = [];

    /// <summary>The first part a saved state lacks (a null where the serializer always writes a
    /// value, in it or in a list or map of it), or null when every part is there: a file damaged
    /// that way is refused as damaged before anything is restored from it.</summary>
    internal string? MissingPart()
    {
        static bool AnyNull<T>(IEnumerable<T?>? items) => items is null || items.Any(i => i is null);
        return Room is null ? "the room"
            : LastCommitHash is null ? "the last commit's hash"
            : AnyNull(Members) ? "the member list"
            : AnyNull(DepartedSerials) ? "the departed devices"
            : ExternalPublic is null ? "the external public key"
            : Leaves is null || AnyNull(Leaves.Values) ? "the members' leaf keys"
            : PendingCommits is null || PendingCommits.Any(c => c is null || c.Hash is null || c.JoinerSecret is null || c.LeafPrivate is null) ? "a pending commit"
            : AnyNull(Packages) ? "the key packages"
            : Receiving is null || Receiving.Values.Any(c => !Whole(c)) ? "a receiving chain"
            : Sending is not null && !Whole(Sending) ? "the sending chain"
            : HighestGeneration is null ? "the highest generations"
            : Roles is null ? "the roles"
            : null;

        static bool Whole(SenderChainData? chain) =>
            chain is { ChainKey: not null, Skipped: not null } && chain.Skipped.All(k => k is { Key: not null });
    }

    internal GroupStateData WithLeaf(OwnLeaf leaf)
    {
        leaf.ExportInto(this);
        return this;
    }
}

/// <summary>A commit this device made and has not seen applied: what it needs when the commit
/// comes back in the sequence (its hash tells it apart from another commit for the same epoch).</summary>
public sealed class PendingCommitData
{
    public ulong Epoch { get; set; }

    public byte[] Hash { get; set; } = [];

    public byte[] JoinerSecret { get; set; } = [];

    /// <summary>The new leaf private key (exported EC private key) this commit names.</summary>
    public byte[] LeafPrivate { get; set; } = [];

    public void Erase()
    {
        CryptographicOperations.ZeroMemory(JoinerSecret);
        CryptographicOperations.ZeroMemory(LeafPrivate);
    }
}
