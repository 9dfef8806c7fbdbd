using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>
/// One device's view of one room's end-to-end group: the members of the current epoch, their
/// verified key packages, the epoch secret and the sender ratchets. It is driven only by the
/// room's sequence (<see cref="Process"/> in order) and by its own <see cref="CreateCommit"/> and
/// <see cref="Encrypt"/>; everything the server delivers is checked before it changes anything.
/// </summary>
public sealed partial class GroupState
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

    /// <summary>For a direct room ("@a+b"), the two users it is for; null for an open room.</summary>
    public IReadOnlyList<string>? DirectUsers()
    {
        if (!Room.StartsWith('@') || Room.IndexOf('+') is var plus && plus < 0)
        {
            return null;
        }

        return [Room[1..plus], Room[(plus + 1)..]];
    }
}

