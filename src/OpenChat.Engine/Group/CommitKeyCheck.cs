using System.Security.Cryptography;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>
/// The key checks of a format-2 commit, made by every member before anything else is opened:
/// its keys are of their size, and every member entry names the key it must have been wrapped to
/// (<see cref="KeySchedule.KeyReference"/>): the committer's new key for the committer (with
/// nothing wrapped), the leaf this device holds for a carried-over member, the verified package
/// for an added one. A server that swaps a wrap or a key is refused by everyone alike, so the
/// members never disagree about who can read the new epoch. Format-1 commits name packages
/// (checked by <see cref="CommitPolicy.CheckMembers"/>) and carry no keys.
/// </summary>
internal static class CommitKeyCheck
{
    public static Refusal? Keys(Roster old, Commit commit)
    {
        if (commit.FormatVersion == Commit.LegacyVersion)
        {
            return null;
        }

        if (!(IsPoint(commit.CommitterKey) && IsPoint(commit.ExternalKey) && IsPoint(commit.EphemeralKey) && commit.SealedExternalKey.Length == KeySchedule.SealedLength))
        {
            return new Refusal(RejectReason.CommitKeysMalformed, "the commit's committer, external or ephemeral key is missing or malformed");
        }

        // A committer key must be fresh: its own current leaf again would heal nothing (a thief
        // holding it keeps reading), and another member's leaf would give two members one key.
        return old.Leaves.Values.Any(leaf => CryptographicOperations.FixedTimeEquals(leaf, commit.CommitterKey))
            ? new Refusal(RejectReason.CommitterKeyNotFresh, "the commit's committer key is a leaf key already in the group")
            : null;
    }

    /// <summary>Whether <paramref name="member"/> names the key this device holds for it.</summary>
    public static Refusal? Member(Roster old, Commit commit, CommitMember member, KeyPackage package)
    {
        if (commit.FormatVersion == Commit.LegacyVersion)
        {
            return null;
        }

        var serial = member.SerialHex;
        var committer = Roster.SameSerial(serial, commit.CommitterSerial);
        var expected = committer ? KeySchedule.KeyReference(commit.CommitterKey)
            : old.LeafOf(serial) is { } leaf ? KeySchedule.KeyReference(leaf)
            : package.Reference;
        if (!CryptographicOperations.FixedTimeEquals(expected, member.PackageReference))
        {
            return new Refusal(RejectReason.KeyReferenceMismatch, $"commit names member {serial} by another key than the one this device holds for it");
        }

        return member.Wrapped.Length == (committer ? 0 : KeySchedule.WrappedLength)
            ? null
            : new Refusal(RejectReason.CommitKeysMalformed, $"commit holds a wrapped secret of the wrong size for member {serial}");
    }

    private static bool IsPoint(byte[] key) => key.Length == Signatures.PointLength && key[0] == 0x04;
}
