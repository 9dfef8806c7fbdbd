using System.Security.Cryptography;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>How a member of the new epoch gets its secret from a format-2 commit.</summary>
internal enum CommitTargetKind
{
    /// <summary>The committer: no wrap; its entry names its new key (<see cref="Commit.CommitterKey"/>).</summary>
    Committer,

    /// <summary>In the epoch before and after: the commit secret, wrapped to its current leaf key.</summary>
    CarriedOver,

    /// <summary>New in the epoch: the joiner secret, wrapped to its verified package's agreement key.</summary>
    Added,
}

/// <summary>One member as the committer wraps to it: the key and the reference the commit names it by.</summary>
/// <param name="Public">The key imported once (the roster keeps it), or null to import <paramref name="Key"/> here.</param>
internal sealed record CommitTarget(string Serial, CommitTargetKind Kind, byte[] Key, byte[] Reference, ECDiffieHellmanPublicKey? Public = null);

/// <summary>
/// What the new epoch builds on: the previous epoch's init secret (a member's commit), the
/// previous epoch's external key (a join), zero bytes (a create), or, for a join onto an epoch
/// made by a format-1 commit (no external key), nothing: then every carried-over member gets the
/// joiner secret itself.
/// </summary>
internal sealed record CommitInit(byte[]? InitSecret, byte[]? ExternalKey)
{
    public static CommitInit Create() => new(KeySchedule.CreateInit(), null);

    public static CommitInit Member(byte[] initSecret) => new(initSecret, null);

    public static CommitInit Join(byte[] externalKey) => externalKey.Length == 0 ? new(null, null) : new(null, externalKey);

    /// <summary>The join fallback: no external key to agree with, so the joiner secret is wrapped to everyone.</summary>
    public bool WrapsJoinerToAll => InitSecret is null && ExternalKey is null;
}

/// <summary>
/// Builds and signs a format-2 commit (docs/protocol.md, "Key schedule"): a fresh commit secret
/// and the init of <see cref="CommitInit"/> give the joiner secret; each carried-over member gets
/// the commit secret wrapped to its leaf key, each added member the joiner secret wrapped to its
/// package key; the committer names a fresh key of its own, its leaf from the new epoch on; the
/// new epoch's external key travels with its private half sealed under the joiner secret. What
/// the committer needs when the commit comes back is returned as a pending entry, never the epoch
/// secret (that is bound to the commit's hash and derived only when the commit is applied).
/// </summary>
internal static class CommitBuilder
{
    public static (Commit Commit, PendingCommitData Pending) Build(string room, ulong newEpoch, byte[] parentHash, string committerSerial, ECDsa signingKey,
        CommitReason reason, RoomPolicy policy, IReadOnlyList<CommitTarget> targets, CommitInit init)
    {
        var commitSecret = RandomNumberGenerator.GetBytes(KeySchedule.SecretLength);
        using var ephemeral = KeyAgreement.NewKey();
        using var leaf = KeyAgreement.NewKey();
        using var external = KeyAgreement.NewKey();
        var ephemeralKey = Signatures.PublicPoint(ephemeral);
        var committerKey = Signatures.PublicPoint(leaf);
        var externalKey = Signatures.PublicPoint(external);
        var initSecret = init.InitSecret is { } given ? (byte[])given.Clone()
            : init.ExternalKey is { } joinKey ? KeySchedule.ExternalInit(KeyAgreement.SharedSecret(ephemeral, joinKey), room, newEpoch, ephemeralKey, joinKey)
            : KeySchedule.CreateInit();
        var joiner = KeySchedule.Joiner(initSecret, commitSecret, room, newEpoch);
        CryptographicOperations.ZeroMemory(initSecret);
        var carriedSecret = init.WrapsJoinerToAll ? joiner : commitSecret;
        var wraps = new List<CommitMember>(targets.Count);
        foreach (var target in targets)
        {
            var serial = Convert.FromHexString(target.Serial);
            var wrapped = target.Kind switch
            {
                CommitTargetKind.Committer => [],
                CommitTargetKind.CarriedOver => KeySchedule.Wrap(carriedSecret, ephemeral, ephemeralKey, target.Key, target.Public, room, newEpoch, serial),
                _ => KeySchedule.Wrap(joiner, ephemeral, ephemeralKey, target.Key, target.Public, room, newEpoch, serial),
            };
            var reference = target.Kind == CommitTargetKind.Committer ? KeySchedule.KeyReference(committerKey) : target.Reference;
            wraps.Add(new CommitMember(serial, reference, wrapped));
        }

        CryptographicOperations.ZeroMemory(commitSecret);
        var externalScalar = KeySchedule.Scalar(external);
        var sealedExternal = KeySchedule.SealExternal(joiner, externalScalar, room, newEpoch, externalKey);
        CryptographicOperations.ZeroMemory(externalScalar);
        var unsigned = new Commit(room, newEpoch, parentHash, committerSerial, reason, wraps, ephemeralKey, [])
        {
            FormatVersion = Commit.Version,
            CommitterKey = committerKey,
            Policy = policy,
            ExternalKey = externalKey,
            SealedExternalKey = sealedExternal,
        };
        var commit = unsigned with { Signature = Signatures.Sign(signingKey, unsigned.SignedPart()) };
        var pending = new PendingCommitData { Epoch = newEpoch, Hash = commit.Hash, JoinerSecret = joiner, LeafPrivate = leaf.ExportECPrivateKey() };
        return (commit, pending);
    }
}
