using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>This device's keys as a group member.</summary>
public sealed class GroupIdentity : IDisposable
{
    public GroupIdentity(X509Certificate2 certificate, ECDsa signingKey, ECDiffieHellman agreementKey, DateTimeOffset now)
    {
        Certificate = certificate;
        SigningKey = signingKey;
        AgreementKey = agreementKey;
        Package = KeyPackage.Create(certificate, signingKey, agreementKey, now);
    }

    /// <summary>Resumes with the key package published earlier (it must stay the same one).</summary>
    public GroupIdentity(X509Certificate2 certificate, ECDsa signingKey, ECDiffieHellman agreementKey, KeyPackage package)
    {
        Certificate = certificate;
        SigningKey = signingKey;
        AgreementKey = agreementKey;
        Package = package;
    }

    public X509Certificate2 Certificate { get; }

    public ECDsa SigningKey { get; }

    public ECDiffieHellman AgreementKey { get; }

    public KeyPackage Package { get; }

    public string UserName => Package.UserName;

    public string Serial => Certificate.SerialNumber;

    public void Dispose()
    {
        SigningKey.Dispose();
        AgreementKey.Dispose();
    }
}

public enum GroupOutcomeKind
{
    /// <summary>A key package or commit was accepted and applied.</summary>
    Applied,

    /// <summary>A chat message was verified and decrypted.</summary>
    Message,

    /// <summary>The event was refused; <see cref="GroupOutcome.Reason"/> says which check failed.</summary>
    Rejected,

    /// <summary>A valid message this member may not read (from before it joined or after it left).</summary>
    NotForUs,
}

/// <summary>A decrypted, verified chat message.</summary>
public sealed record GroupMessage(string Room, ulong Sequence, string Sender, string SenderSerial, ulong Epoch, uint Generation,
    ContentType ContentType, byte[] Content, DateTimeOffset SentAt, DateTimeOffset StoredAt, bool OutOfOrder, uint MissingBefore);

public sealed record GroupOutcome(GroupOutcomeKind Kind, string Reason = "", GroupMessage? Message = null, string? Notice = null, KeyPackage? Package = null)
{
    public static GroupOutcome Reject(string reason) => new(GroupOutcomeKind.Rejected, reason);
}

/// <summary>
/// One device's view of one room's end-to-end group: the members of the current epoch, their
/// verified key packages, the epoch secret and the sender ratchets. It is driven only by the
/// room's sequence (<see cref="Process"/> in order) and by its own <see cref="CreateCommit"/> and
/// <see cref="Encrypt"/>; everything the server delivers is checked before it changes anything.
/// </summary>
public sealed class GroupState
{
    public const int RotateAfterMessages = 1000;
    public static readonly TimeSpan RotateAfter = TimeSpan.FromDays(1);

    /// <summary>How far ahead of this device's clock a server's event time is believed. Beyond it
    /// the event is judged at this device's time plus this much, so a server cannot age every
    /// certificate by dating events in the future.</summary>
    public static readonly TimeSpan MaxEventClockLead = TimeSpan.FromHours(1);

    private readonly GroupIdentity _me;
    private readonly MemberVerifier _verifier;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, KeyPackage> _packages = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SenderChain> _receiving = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, uint> _highestGeneration = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ECDsa> _signingKeys = new(StringComparer.OrdinalIgnoreCase);
    private List<string> _members = [];
    // Devices (serials) whose user announced a departure while they were members.
    private HashSet<string> _departedSerials = new(StringComparer.OrdinalIgnoreCase);
    private byte[]? _epochSecret;
    private SenderChain? _sending;
    private int _sentInEpoch;

    public GroupState(string room, GroupIdentity me, MemberVerifier verifier, TimeProvider? time = null)
    {
        Room = room;
        _me = me;
        _verifier = verifier;
        _time = time ?? TimeProvider.System;
    }

    public string Room { get; }

    public ulong Epoch { get; private set; }

    /// <summary>The server's epoch counter for the room: every commit it stored, valid or not.
    /// It is what frame headers carry; <see cref="Epoch"/> counts only commits this device
    /// accepted. Keeping them apart means a junk commit the server accepted but the members
    /// refused costs nothing: the members keep their group and still speak the server's number.</summary>
    public ulong ServerEpoch { get; private set; }

    public DateTimeOffset EpochStarted { get; private set; }

    /// <summary>The room's own clock: the latest time the server sequenced an event at, as this
    /// device processed them. Every event is judged at this time (certificates valid then, not
    /// revoked before it), never at this device's clock or today's revocations, so history stays
    /// valid after its authors expire or are revoked, and it never runs backwards.</summary>
    public DateTimeOffset RoomClock { get; private set; } = DateTimeOffset.MinValue;

    // What this device judges its own next step at: its clock, or the room's when that is later
    // (a device whose clock is slow still sees what the server's sequence has already passed).
    public DateTimeOffset SendingTime => _time.GetUtcNow() > RoomClock ? _time.GetUtcNow() : RoomClock;

    public byte[] LastCommitHash { get; private set; } = new byte[32];

    /// <summary>True when this device holds the current epoch's secret.</summary>
    public bool CanRead => _epochSecret is not null;

    /// <summary>This device is listed in the current epoch, holds its secret, and its user has not
    /// announced a departure (a device whose user left must join again before it sends).</summary>
    public bool IsMember => _members.Contains(_me.Serial, StringComparer.OrdinalIgnoreCase) && CanRead && !HasDeparted;

    /// <summary>This device's user announced that it leaves the room (from this or another device).</summary>
    public bool HasDeparted => _departedSerials.Contains(_me.Serial);

    public IReadOnlyList<string> MemberSerials => _members;

    public IReadOnlyList<string> MemberNames => _members.Select(s => _packages.TryGetValue(s, out var p) ? p.UserName : s).ToList();

    public IReadOnlyDictionary<string, KeyPackage> Packages => _packages;

    public bool HasPackage(string serial) => _packages.ContainsKey(serial);

    // Packages are fully verified (signature, chain) when accepted; later uses only need to know
    // the certificate was valid and not revoked at the time the use is judged at.
    private bool ValidAt(KeyPackage package, DateTimeOffset at, out string reason)
    {
        if (_verifier.IsRevokedAt(package.Serial, at))
        {
            reason = "the certificate is revoked";
            return false;
        }

        if (at > package.NotAfter || (at < package.NotBefore && package.NotBefore - at > TimeSpan.FromMinutes(5)))
        {
            reason = "the certificate is outside its validity";
            return false;
        }

        reason = "";
        return true;
    }

    private ECDsa SigningKeyOf(KeyPackage package)
    {
        if (!_signingKeys.TryGetValue(package.Serial, out var key))
        {
            key = package.LoadCertificate().GetECDsaPublicKey() ?? throw new CryptoException("The member's certificate has no ECDSA key.");
            _signingKeys[package.Serial] = key;
        }

        return key;
    }

    /// <summary>Members whose certificates have since been revoked: they must be removed by a
    /// commit before anyone sends again.</summary>
    public IReadOnlyList<string> RevokedMembers => _members.Where(_verifier.IsRevoked).ToList();

    /// <summary>Members whose user announced a departure in a signed message (from any of that
    /// user's devices; every device the user had in the group then): to be removed before the
    /// next message. A device of that user added later is not affected.</summary>
    public IReadOnlyList<string> DepartedMembers =>
        _departedSerials.Count == 0 ? [] : _members.Where(_departedSerials.Contains).ToList();

    /// <summary>Members whose certificate is revoked (at any date this device knows of) or expired:
    /// to be removed before the next message.</summary>
    public IReadOnlyList<string> InvalidMembers =>
        _members.Where(s => _verifier.IsRevoked(s) || !_packages.TryGetValue(s, out var p) || !ValidAt(p, SendingTime, out _)).ToList();

    /// <summary>Everything needed to continue after a restart. It holds secrets: store it encrypted.</summary>
    public GroupStateData Export() => new()
    {
        Room = Room,
        Epoch = Epoch,
        EpochStarted = EpochStarted,
        RoomClock = RoomClock,
        ServerEpoch = ServerEpoch,
        LastCommitHash = LastCommitHash,
        Members = [.. _members],
        DepartedSerials = [.. _departedSerials],
        EpochSecret = _epochSecret,
        Packages = _packages.Values.Select(p => p.ToBytes()).ToList(),
        Receiving = _receiving.ToDictionary(r => r.Key, r => r.Value.Export()),
        HighestGeneration = new Dictionary<string, uint>(_highestGeneration),
        Sending = _sending?.Export(),
        SentInEpoch = _sentInEpoch,
    };

    public static GroupState Import(GroupStateData data, GroupIdentity me, MemberVerifier verifier, TimeProvider? time = null)
    {
        var state = new GroupState(data.Room, me, verifier, time)
        {
            Epoch = data.Epoch,
            EpochStarted = data.EpochStarted,
            RoomClock = data.RoomClock,
            ServerEpoch = data.ServerEpoch,
            LastCommitHash = data.LastCommitHash,
            _members = [.. data.Members],
            _departedSerials = new HashSet<string>(data.DepartedSerials, StringComparer.OrdinalIgnoreCase),
            _epochSecret = data.EpochSecret,
            _sending = data.Sending is null ? null : SenderChain.Import(data.Sending),
            _sentInEpoch = data.SentInEpoch,
        };
        foreach (var bytes in data.Packages)
        {
            var package = KeyPackage.Parse(bytes);
            state._packages[package.Serial] = package;
        }

        foreach (var (serial, chain) in data.Receiving)
        {
            state._receiving[serial] = SenderChain.Import(chain);
        }

        foreach (var (serial, generation) in data.HighestGeneration)
        {
            state._highestGeneration[serial] = generation;
        }

        return state;
    }

    public bool NeedsRotation() => NeedsRotation(SendingTime);

    public bool NeedsRotation(DateTimeOffset now) => IsMember && (_sentInEpoch >= RotateAfterMessages || now - EpochStarted >= RotateAfter);

    /// <summary>Applies one event of the room, in sequence order.</summary>
    public GroupOutcome Process(RoomEvent e)
    {
        ServerEpoch = Math.Max(ServerEpoch, e.Kind == EventKind.Commit ? e.Epoch + 1 : e.Kind == EventKind.Chat ? e.Epoch : 0);
        var at = JudgeTime(e);
        try
        {
            return e.Kind switch
            {
                EventKind.Key => ProcessPackage(e, at),
                EventKind.Commit => ProcessCommit(e, at),
                EventKind.Chat => ProcessMessage(e, at),
                _ => GroupOutcome.Reject("unknown event kind"),
            };
        }
        catch (CryptoException ex)
        {
            return GroupOutcome.Reject(ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException or OverflowException or InvalidOperationException)
        {
            // Whatever a hostile event makes a parser or a library throw, it is refused, never fatal.
            return GroupOutcome.Reject($"malformed {e.Kind}: {ex.GetType().Name}");
        }
    }

    // The time an event is judged at: when the server sequenced it, but never before an event
    // already processed (the sequence is ordered, so its clock is too) and never far ahead of
    // this device's own clock.
    private DateTimeOffset JudgeTime(RoomEvent e)
    {
        RoomClock = JudgeTimeOf(e);
        return RoomClock;
    }

    private DateTimeOffset JudgeTimeOf(RoomEvent e)
    {
        var at = e.Time > RoomClock ? e.Time : RoomClock;
        var now = _time.GetUtcNow();
        var ceiling = now < DateTimeOffset.MaxValue - MaxEventClockLead ? now + MaxEventClockLead : DateTimeOffset.MaxValue;
        if (at > ceiling)
        {
            at = ceiling > RoomClock ? ceiling : RoomClock;
        }

        return at;
    }

    /// <summary>A commit of a new epoch for <paramref name="memberSerials"/> (this device is added
    /// if missing). The state changes only when the commit comes back in the sequence.</summary>
    public (byte[] Body, ulong BuiltOnEpoch) CreateCommit(CommitReason reason, IEnumerable<string> memberSerials)
    {
        var serials = memberSerials.Append(_me.Serial).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var packages = new List<KeyPackage>();
        foreach (var serial in serials)
        {
            if (string.Equals(serial, _me.Serial, StringComparison.OrdinalIgnoreCase))
            {
                packages.Add(_packages.TryGetValue(serial, out var own) ? own : _me.Package);
            }
            else if (_packages.TryGetValue(serial, out var package)
                && (_members.Contains(serial, StringComparer.OrdinalIgnoreCase) || ValidAt(package, SendingTime, out _)))
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

        var (commit, secret) = Commit.Create(Room, Epoch + 1, LastCommitHash, _me.Serial, _me.SigningKey, reason, packages);
        CryptographicOperations.ZeroMemory(secret);
        return (commit.ToBytes(), ServerEpoch);
    }

    /// <summary>Drops this device's keys for the room (it left): the commit chain and member list
    /// stay, so that joining again later continues from where it was.</summary>
    public void ForgetSecrets()
    {
        if (_epochSecret is not null)
        {
            CryptographicOperations.ZeroMemory(_epochSecret);
        }

        _epochSecret = null;
        _sending = null;
        _receiving.Clear();
    }

    /// <summary>Encrypts and signs a message for the current epoch.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> content, ContentType contentType, DateTimeOffset now)
    {
        if (!IsMember || _sending is null)
        {
            throw new CryptoException("This device is not a member of the room's current epoch.");
        }

        if (InvalidMembers.Count > 0)
        {
            throw new CryptoException("A member of the current epoch has been revoked or has expired; commit their removal before sending.");
        }

        if (contentType != ContentType.Departure && DepartedMembers.Count > 0)
        {
            throw new CryptoException("A member of the current epoch has left the room; commit their removal before sending.");
        }

        var (generation, key) = _sending.Advance();
        var token = Fernet.Encrypt(key, content, now, RandomNumberGenerator.GetBytes(16));
        CryptographicOperations.ZeroMemory(key);
        var unsigned = new Envelope(Room, Epoch, _me.UserName, _me.Serial, generation, contentType, token, []);
        _sentInEpoch++;
        return (unsigned with { Signature = Signatures.Sign(_me.SigningKey, unsigned.SignedPart()) }).ToBytes();
    }

    private GroupOutcome ProcessPackage(RoomEvent e, DateTimeOffset at)
    {
        var package = KeyPackage.Parse(e.Body);
        if (!package.Verify(_verifier, at, out var reason))
        {
            return GroupOutcome.Reject($"key package refused: {reason}");
        }

        // Who relays a package does not matter: it is signed by its owner's certificate key, which
        // chains to the pinned CA. (A member may bring a contact's package into a direct room.)
        if (string.Equals(package.Serial, _me.Serial, StringComparison.OrdinalIgnoreCase)
            && !package.Certificate.AsSpan().SequenceEqual(_me.Certificate.RawData))
        {
            return GroupOutcome.Reject("key package claims this device's serial with another certificate");
        }

        string? notice = null;
        if (_packages.TryGetValue(package.Serial, out var known))
        {
            if (!package.Certificate.AsSpan().SequenceEqual(known.Certificate))
            {
                return GroupOutcome.Reject("key package reuses a known serial with another certificate");
            }

            if (package.Created <= known.Created)
            {
                return new GroupOutcome(GroupOutcomeKind.Applied, Notice: "an older or repeated key package was ignored", Package: known);
            }

            notice = "KeyUpdated";
        }

        _packages[package.Serial] = package;
        _signingKeys.Remove(package.Serial);
        return new GroupOutcome(GroupOutcomeKind.Applied, Notice: notice, Package: package);
    }

    private GroupOutcome ProcessCommit(RoomEvent e, DateTimeOffset at)
    {
        var commit = Commit.Parse(e.Body);
        if (!string.Equals(commit.Room, Room, StringComparison.Ordinal))
        {
            return GroupOutcome.Reject("commit for another room");
        }

        if (commit.Epoch != Epoch + 1)
        {
            return GroupOutcome.Reject(commit.Epoch <= Epoch ? "stale commit (an epoch already passed)" : "commit skips epochs");
        }

        if (!CryptographicOperations.FixedTimeEquals(commit.ParentHash, LastCommitHash))
        {
            return GroupOutcome.Reject("forked epoch: the commit does not follow the last one");
        }

        if (!_packages.TryGetValue(commit.CommitterSerial, out var committer) || !ValidAt(committer, at, out _))
        {
            return GroupOutcome.Reject("commit by an unknown or invalid committer");
        }

        if (!string.Equals(committer.Serial, e.SenderSerial, StringComparison.OrdinalIgnoreCase))
        {
            return GroupOutcome.Reject("commit published under another identity");
        }

        if (!Signatures.Verify(SigningKeyOf(committer), commit.SignedPart(), commit.Signature))
        {
            return GroupOutcome.Reject("commit signature does not verify");
        }

        var newMembers = new List<string>();
        foreach (var member in commit.Members)
        {
            var serial = member.SerialHex;
            if (!_packages.TryGetValue(serial, out var package) || !package.Reference.AsSpan().SequenceEqual(member.PackageReference))
            {
                return GroupOutcome.Reject($"commit names member {serial} with a key package this device has not verified");
            }

            // Members carried over from the epoch before were judged when they were added (a join
            // or rotation may not drop anyone; only a removal does). Added ones must be valid now.
            if (!_members.Contains(serial, StringComparer.OrdinalIgnoreCase) && !ValidAt(package, at, out var why))
            {
                return GroupOutcome.Reject($"commit adds member {serial} whose key package is not valid: {why}");
            }

            if (newMembers.Contains(serial, StringComparer.OrdinalIgnoreCase))
            {
                return GroupOutcome.Reject("commit lists a member twice");
            }

            newMembers.Add(serial);
        }

        if (Authorize(commit, e, at, committer.Serial, newMembers) is { } refusal)
        {
            return GroupOutcome.Reject(refusal);
        }

        if (DirectUsers() is { } allowed && newMembers.Any(s => !allowed.Contains(_packages[s].UserName, StringComparer.OrdinalIgnoreCase)))
        {
            return GroupOutcome.Reject("a direct conversation may hold only its two users' devices");
        }

        var wasMember = IsMember;
        byte[]? secret = null;
        if (newMembers.Contains(_me.Serial, StringComparer.OrdinalIgnoreCase))
        {
            // Opened before anything changes: a commit that cannot be opened leaves the state as it was.
            secret = commit.Unwrap(_me.Serial, _me.AgreementKey);
            if (secret is null)
            {
                return GroupOutcome.Reject("the commit's secret for this device does not open");
            }
        }

        _epochSecret = secret;

        // A departed device stays departed until it is removed, or until it commits its own
        // rejoin (only that device's key can sign one). Adding some other device of the same
        // user name (a new device, or one the server minted as CA) changes nothing here.
        _departedSerials.IntersectWith(newMembers);
        if (commit.Reason == CommitReason.Join)
        {
            _departedSerials.Remove(committer.Serial);
        }

        Epoch = commit.Epoch;
        EpochStarted = e.Time;
        LastCommitHash = commit.Hash;
        _members = newMembers;
        _receiving.Clear();
        _highestGeneration.Clear();
        _sentInEpoch = 0;
        _sending = _epochSecret is null ? null : SenderChain.ForSender(_epochSecret, Room, Epoch, _me.Serial);
        var notice = commit.Reason.ToString();
        if (wasMember && _epochSecret is null)
        {
            notice = "RemovedFromRoom";
        }

        return new GroupOutcome(GroupOutcomeKind.Applied, Notice: notice);
    }

    /// <summary>For a direct room ("@a+b"), the two users it is for; null for an open room.</summary>
    public IReadOnlyList<string>? DirectUsers()
    {
        if (!Room.StartsWith('@') || Room.IndexOf('+') is var plus && plus < 0)
        {
            return null;
        }

        return [Room[1..plus], Room[(plus + 1)..]];
    }

    // Who may make which change. Rooms are open: anyone with a valid certificate may join itself;
    // nobody may drop a member who is still entitled to read.
    private string? Authorize(Commit commit, RoomEvent e, DateTimeOffset at, string committer, List<string> newMembers)
    {
        var old = _members;
        bool Has(List<string> list, string serial) => list.Contains(serial, StringComparer.OrdinalIgnoreCase);
        var committerWasMember = Has(old, committer);
        if (!Has(newMembers, committer))
        {
            return "the committer is not a member of the new epoch";
        }

        return commit.Reason switch
        {
            // Only the room's first commit may found its group: a newcomer who cannot follow the
            // history must never start a second group beside the real one.
            CommitReason.Create when Epoch != 0 || old.Count != 0 || e.Epoch != 0 => "a create commit on a room that already has a group",
            CommitReason.Create when newMembers.Count != 1 => "a create commit must hold only its committer",
            CommitReason.Create => null,
            // A device whose user announced a departure may join again without anyone removing it
            // first; that changes nothing but the epoch, and ends the departure.
            CommitReason.Join when old.Count == 0 => "a join of a room that has no group yet (only a create founds one)",
            CommitReason.Join when committerWasMember && !_departedSerials.Contains(committer) => "a join by a current member",
            CommitReason.Join when committerWasMember && !(newMembers.Count == old.Count && old.All(s => Has(newMembers, s))) => "a rejoin that also adds or removes others",
            CommitReason.Join when committerWasMember => null,
            CommitReason.Join when !(newMembers.Count == old.Count + 1 && old.All(s => Has(newMembers, s))) => "a join that also adds or removes others",
            CommitReason.Join => null,
            _ when !committerWasMember => "a commit by someone who is not a member",
            CommitReason.Add when !(old.All(s => Has(newMembers, s)) && newMembers.Count > old.Count) => "an add that removes members",
            CommitReason.Remove when !(newMembers.All(s => Has(old, s)) && newMembers.Count < old.Count) => "a removal that adds members",
            CommitReason.Remove when old.FirstOrDefault(s => !Has(newMembers, s) && !MayBeRemoved(s, at)) is { } kept =>
                $"a removal of member {kept}, who was neither revoked, expired nor departed when it was sequenced",
            CommitReason.Rotate when !(newMembers.Count == old.Count && old.All(s => Has(newMembers, s))) => "a rotation that changes members",
            CommitReason.Add or CommitReason.Remove or CommitReason.Rotate => null,
            _ => "unknown commit reason",
        };
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
            var commit = Commit.Parse(e.Body);
            var at = JudgeTimeOf(e);
            return commit.Reason == CommitReason.Remove
                && _members.Any(s => !commit.Members.Any(m => string.Equals(m.SerialHex, s, StringComparison.OrdinalIgnoreCase)) && !MayBeRemoved(s, at));
        }
        catch (Exception)
        {
            // Whatever a hostile commit makes this look throw, Process refuses it on its own.
            return false;
        }
    }

    // A member leaves only by a signed departure of its own user, a revocation by the CA, or the
    // end of its certificate's validity, each as of the time the removal was sequenced.
    private bool MayBeRemoved(string serial, DateTimeOffset at) =>
        _departedSerials.Contains(serial) || _verifier.MayBeRevokedAt(serial, at)
        || !_packages.TryGetValue(serial, out var package) || !ValidAt(package, at, out _);

    private GroupOutcome ProcessMessage(RoomEvent e, DateTimeOffset at)
    {
        var envelope = Envelope.Parse(e.Body);
        if (!string.Equals(envelope.Room, Room, StringComparison.Ordinal))
        {
            return GroupOutcome.Reject("message for another room");
        }

        if (envelope.Epoch < Epoch)
        {
            return GroupOutcome.Reject("stale epoch: sent in an epoch that has ended");
        }

        if (envelope.Epoch > Epoch)
        {
            return GroupOutcome.Reject("unknown epoch: a commit is missing");
        }

        if (!_members.Contains(envelope.SenderSerial, StringComparer.OrdinalIgnoreCase) || !_packages.TryGetValue(envelope.SenderSerial, out var sender))
        {
            return GroupOutcome.Reject("sender is not a member of this epoch");
        }

        if (!string.Equals(sender.UserName, envelope.Sender, StringComparison.Ordinal))
        {
            return GroupOutcome.Reject("sender name does not match the sender's certificate");
        }

        if (!ValidAt(sender, at, out var why))
        {
            return GroupOutcome.Reject($"sender refused: {why}");
        }

        if (!Signatures.Verify(SigningKeyOf(sender), envelope.SignedPart(), envelope.Signature))
        {
            return GroupOutcome.Reject("signature does not verify");
        }

        if (!string.Equals(e.Sender, envelope.Sender, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(e.SenderSerial, envelope.SenderSerial, StringComparison.OrdinalIgnoreCase))
        {
            return GroupOutcome.Reject("the server labelled the message with another sender");
        }

        // A departure counts for every device that follows the room, even one that cannot read
        // this epoch (a joiner still catching up must not send to the leaver either). Its content
        // type is signed, and it is in the current epoch: checked above.
        if (envelope.ContentType == ContentType.Departure)
        {
            _departedSerials.UnionWith(_members.Where(s => _packages.TryGetValue(s, out var p)
                && string.Equals(p.UserName, sender.UserName, StringComparison.OrdinalIgnoreCase)));
        }

        if (_epochSecret is null)
        {
            return new GroupOutcome(GroupOutcomeKind.NotForUs, "this device holds no key for this epoch");
        }

        if (!_receiving.TryGetValue(envelope.SenderSerial, out var chain))
        {
            chain = SenderChain.ForSender(_epochSecret, Room, Epoch, envelope.SenderSerial);
            _receiving[envelope.SenderSerial] = chain;
        }

        var next = chain.Next;
        var messageKey = chain.KeyFor(envelope.Generation);
        if (messageKey is null)
        {
            return GroupOutcome.Reject(envelope.Generation < next ? "replay: this message was already received" : "too far ahead of the sender's last message");
        }

        byte[] content;
        try
        {
            // No time-to-live: an old message read from history is still valid.
            content = Fernet.Decrypt(messageKey, envelope.Token, DateTimeOffset.UtcNow);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(messageKey);
        }

        if (envelope.ContentType is not (ContentType.Text or ContentType.Departure))
        {
            // Verified, but of a kind this version cannot show: never passed off as text.
            return GroupOutcome.Reject($"content type {(byte)envelope.ContentType} is not known to this version of OpenChat");
        }

        var highest = _highestGeneration.TryGetValue(envelope.SenderSerial, out var h) ? (long)h : -1;
        var outOfOrder = envelope.Generation < highest;
        var missing = envelope.Generation > highest + 1 ? (uint)(envelope.Generation - highest - 1) : 0u;
        if (!outOfOrder)
        {
            _highestGeneration[envelope.SenderSerial] = envelope.Generation;
        }

        var message = new GroupMessage(Room, e.Sequence, envelope.Sender, envelope.SenderSerial, envelope.Epoch, envelope.Generation, envelope.ContentType,
            content, Fernet.TimestampOf(envelope.Token), e.Time, outOfOrder, missing);
        return new GroupOutcome(GroupOutcomeKind.Message, Message: message);
    }
}

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

    public byte[]? EpochSecret { get; set; }

    public List<byte[]> Packages { get; set; } = [];

    public Dictionary<string, SenderChainData> Receiving { get; set; } = [];

    public Dictionary<string, uint> HighestGeneration { get; set; } = [];

    public SenderChainData? Sending { get; set; }

    public int SentInEpoch { get; set; }
}
