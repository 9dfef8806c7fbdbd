using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

public enum CommitReason : byte
{
    Create = 1,
    Add = 2,
    Join = 3,
    Remove = 4,
    Rotate = 5,

    /// <summary>A device's renewed certificate (a new serial) takes the place of its previous
    /// certificate, everyone else unchanged (<see cref="CommitPolicy"/> says when that is allowed).</summary>
    Renew = 6,

    /// <summary>The committer replaces its own key-agreement key (format 2): members unchanged.
    /// Every member makes one on a schedule and after removals, which heals a stolen device.</summary>
    Update = 7,

    /// <summary>An admin's change (format 2): users added to the policy, removed (a kick, with
    /// their devices), or given another role. Only an admin's device may make one.</summary>
    Manage = 8,
}

/// <summary>One member of the new epoch: its certificate serial, a reference to the key the secret
/// was wrapped to, and the wrapped secret. In format 1 the reference names the member's key package
/// and the wrap is AES-256-GCM nonce ‖ ct ‖ tag of the epoch secret; in format 2 it names the
/// key (<see cref="KeySchedule.KeyReference"/>: a carried-over member's leaf, the committer's new
/// key, or an added member's package reference) and the wrap is ct ‖ tag (<see cref="CommitBuilder"/>).</summary>
public sealed record CommitMember(byte[] Serial, byte[] PackageReference, byte[] Wrapped)
{
    public string SerialHex => Convert.ToHexString(Serial);
}

/// <summary>
/// A change of epoch: the full member list of the new epoch, each with a secret of the new epoch
/// wrapped to its key (format 2: <see cref="CommitBuilder"/>; format 1: the epoch secret itself to the published package key) (HKDF over ECDH with the committer's one-time key, bound to
/// room, epoch, member and both keys), chained to the previous commit by hash and signed by the
/// committer's certificate key. The server orders commits but cannot alter, forge or fork one
/// without every member noticing.
/// </summary>
public sealed record Commit(string Room, ulong Epoch, byte[] ParentHash, string CommitterSerial, CommitReason Reason,
    IReadOnlyList<CommitMember> Members, byte[] EphemeralKey, byte[] Signature)
{
    /// <summary>Format 2: the committer's fresh key-agreement key, the room's policy, and the new
    /// epoch's external key (what a joiner agrees with) with its private half sealed to the epoch.</summary>
    public const byte Version = 2;

    /// <summary>The first format: no policy, no committer key, no external key.</summary>
    public const byte LegacyVersion = 1;

    public const int SecretLength = 32;

    /// <summary>The format this commit is encoded (and signed) in.</summary>
    public byte FormatVersion { get; init; } = Version;

    /// <summary>The committer's new key-agreement public key (a P-256 point) in the new epoch; empty in format 1.</summary>
    public byte[] CommitterKey { get; init; } = [];

    /// <summary>The room's policy from the new epoch on (<see cref="RoomPolicy.Legacy"/> in format 1).</summary>
    public RoomPolicy Policy { get; init; } = RoomPolicy.Legacy;

    /// <summary>The new epoch's external public key (a P-256 point) a joiner agrees with; empty in format 1.</summary>
    public byte[] ExternalKey { get; init; } = [];

    /// <summary>The external key's private half, sealed under a key of the new epoch; empty in format 1.</summary>
    public byte[] SealedExternalKey { get; init; } = [];

    /// <summary>What the next commit chains to. Over the signed part only, so re-encoding the
    /// signature (ECDSA is malleable) cannot make two hashes for one commit.</summary>
    public byte[] Hash => SHA256.HashData(SignedPart());

    public byte[] ToBytes() => Write(true);

    internal byte[] SignedPart() => Write(false);

    /// <summary>Builds and signs a format-1 commit for <paramref name="members"/> (the epoch secret
    /// wrapped to each package key); returns the new epoch secret. Clients make only format 2
    /// (<see cref="CommitBuilder"/>); this stays to make the histories rooms already hold.</summary>
    public static (Commit Commit, byte[] EpochSecret) CreateLegacy(string room, ulong newEpoch, byte[] parentHash, string committerSerial, ECDsa signingKey,
        CommitReason reason, IReadOnlyList<KeyPackage> members, RoomPolicy? policy = null)
    {
        var secret = RandomNumberGenerator.GetBytes(SecretLength);
        using var ephemeral = KeyAgreement.NewKey();
        var ephemeralPoint = Signatures.PublicPoint(ephemeral);
        var wraps = new List<CommitMember>(members.Count);
        foreach (var member in members)
        {
            var serial = Convert.FromHexString(member.Serial);
            var key = WrapKey(KeyAgreement.SharedSecret(ephemeral, member.AgreementPublic), room, newEpoch, serial, member.AgreementKey, ephemeralPoint);
            var nonce = RandomNumberGenerator.GetBytes(12);
            var wrapped = new byte[12 + SecretLength + 16];
            nonce.CopyTo(wrapped, 0);
            using (var gcm = new AesGcm(key, 16))
            {
                gcm.Encrypt(nonce, secret, wrapped.AsSpan(12, SecretLength), wrapped.AsSpan(12 + SecretLength), Aad(room, newEpoch, serial));
            }

            CryptographicOperations.ZeroMemory(key);
            wraps.Add(new CommitMember(serial, member.Reference, wrapped));
        }

        var unsigned = new Commit(room, newEpoch, parentHash, committerSerial, reason, wraps, ephemeralPoint, [])
        {
            FormatVersion = LegacyVersion,
            Policy = policy ?? RoomPolicy.Legacy,
        };
        return (unsigned with { Signature = Signatures.Sign(signingKey, unsigned.SignedPart()) }, secret);
    }

    /// <summary>Format 1: the epoch secret wrapped for <paramref name="serial"/>, opened with that
    /// member's package agreement key; null if there is none or it does not open.</summary>
    public byte[]? UnwrapLegacy(string serial, ECDiffieHellman agreementKey)
    {
        var member = Members.FirstOrDefault(m => Roster.SameSerial(m.SerialHex, serial));
        if (member is null || member.Wrapped.Length != 12 + SecretLength + 16)
        {
            return null;
        }

        try
        {
            var ownPoint = Signatures.PublicPoint(agreementKey);
            var key = WrapKey(KeyAgreement.SharedSecret(agreementKey, EphemeralKey), Room, Epoch, member.Serial, ownPoint, EphemeralKey);
            var secret = new byte[SecretLength];
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(member.Wrapped.AsSpan(0, 12), member.Wrapped.AsSpan(12, SecretLength), member.Wrapped.AsSpan(12 + SecretLength), secret, Aad(Room, Epoch, member.Serial));
            CryptographicOperations.ZeroMemory(key);
            return secret;
        }
        catch (Exception e) when (e is CryptographicException or CryptoException)
        {
            return null;
        }
    }

    public static Commit Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var r = new PayloadReader(bytes);
            var version = r.U8();
            if (version is not (LegacyVersion or Version))
            {
                throw new CryptoException("Unknown commit version.");
            }

            var room = r.String();
            var epoch = r.U64();
            var parent = r.Bytes();
            var committer = r.String();
            var reason = (CommitReason)r.U8();
            byte[] committerKey = [];
            var policy = RoomPolicy.Legacy;
            if (version == Version)
            {
                committerKey = r.Bytes();
                policy = RoomPolicy.ReadFrom(ref r);
            }

            var count = r.U32();
            if (count > 100_000)
            {
                throw new CryptoException("A commit with an impossible member count.");
            }

            var members = new List<CommitMember>((int)count);
            for (var i = 0; i < count; i++)
            {
                members.Add(new CommitMember(r.Bytes(), r.Bytes(), r.Bytes()));
            }

            var ephemeral = r.Bytes();
            byte[] external = [], sealedExternal = [];
            if (version == Version)
            {
                external = r.Bytes();
                sealedExternal = r.Bytes();
            }

            var commit = new Commit(room, epoch, parent, committer, reason, members, ephemeral, r.Bytes())
            {
                FormatVersion = version,
                CommitterKey = committerKey,
                Policy = policy,
                ExternalKey = external,
                SealedExternalKey = sealedExternal,
            };
            r.End();
            return commit;
        }
        catch (ProtocolException e)
        {
            throw new CryptoException($"Malformed commit: {e.Message}");
        }
    }

    private static byte[] WrapKey(byte[] shared, string room, ulong epoch, byte[] serial, byte[] memberKey, byte[] ephemeralKey)
    {
        var key = Kdf.Hkdf(shared, GroupLabels.CommitWrap, GroupLabels.Context(room, epoch, serial, memberKey, ephemeralKey), 32);
        CryptographicOperations.ZeroMemory(shared);
        return key;
    }

    private static byte[] Aad(string room, ulong epoch, byte[] serial) => GroupLabels.Context(room, epoch, serial);

    private byte[] Write(bool withSignature)
    {
        var w = PayloadWriter.Body(400 + (Members.Count * 110) + (Policy.Roles.Count * 24)).U8(FormatVersion).String(Room).U64(Epoch).Bytes(ParentHash)
            .String(CommitterSerial).U8((byte)Reason);
        if (FormatVersion == Version)
        {
            w.Bytes(CommitterKey);
            Policy.WriteTo(w);
        }

        w.U32((uint)Members.Count);
        foreach (var member in Members)
        {
            w.Bytes(member.Serial).Bytes(member.PackageReference).Bytes(member.Wrapped);
        }

        w.Bytes(EphemeralKey);
        if (FormatVersion == Version)
        {
            w.Bytes(ExternalKey).Bytes(SealedExternalKey);
        }

        if (withSignature)
        {
            w.Bytes(Signature);
        }

        return w.ToBody();
    }
}
