using System.Security.Cryptography;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>What this device learns from a commit it is a member of: the new epoch's secret (erased
/// once its chains are derived), its external private key, and the pending entry when the commit
/// is this device's own.</summary>
internal sealed record OpenedEpoch(byte[] EpochSecret, byte[]? ExternalPrivate, PendingCommitData? Own);

/// <summary>
/// Opens a commit for this device, as the key schedule says (docs/protocol.md): its own commit
/// from the pending entry recorded before it was published; a carried-over member's commit
/// secret with its leaf key, chained with the previous epoch's init secret (or, for a join, with
/// the agreement of the previous epoch's external key and the joiner's ephemeral key); an added
/// member's joiner secret with its package key. Opening the sealed external key confirms the
/// joiner secret: a commit whose secrets do not hold together is refused, and nothing changes.
/// </summary>
internal static class CommitOpening
{
    /// <param name="ownSerial">The serial this device is listed under in the new epoch.</param>
    /// <param name="currentExternal">The current epoch's external public key (empty after a format-1 commit).</param>
    public static Refusal? Open(Commit commit, Roster old, GroupIdentity me, string ownSerial, OwnLeaf leaf, EpochKeys keys, byte[] currentExternal,
        out OpenedEpoch? opened)
    {
        opened = null;
        var byThisDevice = Roster.SameSerial(commit.CommitterSerial, ownSerial) || Roster.SameSerial(commit.CommitterSerial, me.Serial);
        if (commit.FormatVersion == Commit.LegacyVersion)
        {
            if (byThisDevice)
            {
                // This client makes only format-2 commits, each with a pending entry: a format-1
                // commit under this device's serial was signed by someone holding its stolen key.
                return new Refusal(RejectReason.OwnCommitNotPending, "a format-1 commit under this device's serial: this device makes none");
            }

            var secret = commit.UnwrapLegacy(ownSerial, me.AgreementKey);
            opened = secret is null ? null : new OpenedEpoch(secret, null, null);
            return secret is null ? DoesNotOpen : null;
        }

        PendingCommitData? own = null;
        byte[]? joiner;
        if (byThisDevice)
        {
            own = leaf.PendingFor(commit);
            if (own is null)
            {
                return new Refusal(RejectReason.OwnCommitNotPending, "this device's own commit came back, but this device holds no pending entry for it");
            }

            joiner = (byte[])own.JoinerSecret.Clone();
        }
        else if (JoinerOf(commit, old, me, ownSerial, leaf, keys, currentExternal, out joiner) is { } refused)
        {
            return refused;
        }

        try
        {
            var external = KeySchedule.UnsealExternal(joiner!, commit.SealedExternalKey, commit.Room, commit.Epoch, commit.ExternalKey);
            if (external is null)
            {
                return DoesNotOpen;
            }

            if (!KeySchedule.IsPrivateHalfOf(external, commit.ExternalKey))
            {
                // Else a member could seal a scalar that is not the external key's, and the next
                // honest join would be refused by everyone while its joiner applied it. It also
                // binds what each member opened to the one external key (AES-GCM does not commit
                // to its key: one ciphertext could open under two members' keys to two secrets).
                CryptographicOperations.ZeroMemory(external);
                return new Refusal(RejectReason.ExternalKeyMismatch, "the commit's sealed external key is not the private half of its external key");
            }

            opened = new OpenedEpoch(KeySchedule.EpochSecret(joiner!, commit.Room, commit.Epoch, commit.Hash), external, own);
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(joiner!);
        }
    }

    private static Refusal DoesNotOpen => new(RejectReason.SecretDoesNotOpen, "the commit's secret for this device does not open");

    private static Refusal? JoinerOf(Commit commit, Roster old, GroupIdentity me, string ownSerial, OwnLeaf leaf, EpochKeys keys, byte[] currentExternal,
        out byte[]? joiner)
    {
        joiner = null;
        var entry = commit.Members.First(m => Roster.SameSerial(m.SerialHex, ownSerial));
        if (old.LeafOf(ownSerial) is not { } leafKey)
        {
            // Added by this commit: the joiner secret, wrapped to this device's package key.
            joiner = KeySchedule.Unwrap(entry.Wrapped, me.AgreementKey, Signatures.PublicPoint(me.AgreementKey), commit.EphemeralKey, commit.Room, commit.Epoch,
                entry.Serial);
            return joiner is null ? DoesNotOpen : null;
        }

        var unwrapped = leaf.WithPrivate(me.AgreementKey,
            key => KeySchedule.Unwrap(entry.Wrapped, key, leafKey, commit.EphemeralKey, commit.Room, commit.Epoch, entry.Serial));
        if (unwrapped is null)
        {
            return DoesNotOpen;
        }

        var join = commit.Reason == CommitReason.Join;
        if (join && currentExternal.Length == 0)
        {
            // A join onto an epoch a format-1 commit made (no external key): the joiner secret itself.
            joiner = unwrapped;
            return null;
        }

        byte[] init;
        if (join)
        {
            if (keys.ExternalPrivate is not { } scalar)
            {
                CryptographicOperations.ZeroMemory(unwrapped);
                return new Refusal(RejectReason.InitSecretMissing, "a join this device cannot open: it holds no external key of the epoch before");
            }

            using var external = KeySchedule.FromScalar(scalar, currentExternal);
            init = KeySchedule.ExternalInit(KeyAgreement.SharedSecret(external, commit.EphemeralKey), commit.Room, commit.Epoch, commit.EphemeralKey, currentExternal);
        }
        else if (keys.InitSecret is { } held)
        {
            init = (byte[])held.Clone();
        }
        else
        {
            CryptographicOperations.ZeroMemory(unwrapped);
            return new Refusal(RejectReason.InitSecretMissing, "a commit this device cannot open: it holds no init secret of the epoch before");
        }

        joiner = KeySchedule.Joiner(init, unwrapped, commit.Room, commit.Epoch);
        CryptographicOperations.ZeroMemory(init);
        CryptographicOperations.ZeroMemory(unwrapped);
        return null;
    }
}
