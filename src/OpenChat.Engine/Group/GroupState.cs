using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>
/// One device's view of one room's end-to-end group: the members of the current epoch, their
/// verified key packages, the epoch secret and the sender ratchets. It is driven only by the
/// room's sequence (<see cref="Process"/> in order) and by its own <see cref="CreateCommit"/> and
/// <see cref="Encrypt"/>; everything the server delivers is checked before it changes anything.
/// </summary>
/// <remarks>
/// This is the facade over the group's parts: the <see cref="Roster"/> (who is in the room), the
/// <see cref="EpochKeys"/> (the current epoch's secrets), the <see cref="CommitPolicy"/> and
/// <see cref="CommitProcessor"/> (whether a commit may be applied), and the
/// <see cref="MessageProcessor"/> (verifying and decrypting a message). It owns the room clock and
/// the commit chain's position, and it is the only thing that changes them.
/// </remarks>
public sealed partial class GroupState
{
    /// <summary>The default of <see cref="KeyUpdateAfterMessages"/>.</summary>
    public const int DefaultKeyUpdateAfterMessages = 1000;

    /// <summary>The default of <see cref="KeyUpdateInterval"/>.</summary>
    public static readonly TimeSpan DefaultKeyUpdateInterval = TimeSpan.FromDays(7);

    /// <summary>How far ahead of this device's clock a server's event time is believed. Beyond it
    /// the event is judged at this device's time plus this much, so a server cannot age every
    /// certificate by dating events in the future.</summary>
    public static readonly TimeSpan MaxEventClockLead = TimeSpan.FromHours(1);

    private GroupIdentity _me;
    private readonly MemberValidity _validity;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private Roster _roster = new();
    private EpochKeys _keys = new();
    private OwnLeaf _leaf = new();
    // The current epoch's external public key, as its commit carried it (empty after a format-1 commit).
    private byte[] _external = [];

    public GroupState(string room, GroupIdentity me, MemberVerifier verifier, TimeProvider? time = null, ILogger? logger = null)
    {
        Room = room;
        _me = me;
        _validity = new MemberValidity(verifier);
        _time = time ?? TimeProvider.System;
        _log = logger ?? NullLogger.Instance;
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

    /// <summary>Who may be in the room and who runs it, as the last accepted commit says.</summary>
    public RoomPolicy Policy { get; private set; } = RoomPolicy.Legacy;

    /// <summary>True when this device holds the current epoch's keys.</summary>
    public bool CanRead => _keys.Holds;

    /// <summary>This device is listed in the current epoch, holds its secret, and its user has not
    /// announced a departure (a device whose user left must join again before it sends).</summary>
    public bool IsMember => _roster.Contains(_me.Serial) && CanRead && !HasDeparted;

    /// <summary>This device's user announced that it leaves the room (from this or another device).</summary>
    public bool HasDeparted => _roster.IsDeparted(_me.Serial) || (RenewingFrom is { } previous && _roster.IsDeparted(previous));

    /// <summary>This device's serial under which it is a member, until its renewed certificate takes
    /// the place (<see cref="CommitReason.Renew"/>); null when the device is listed under its
    /// current certificate, or not at all.</summary>
    public string? RenewingFrom { get; private set; }

    /// <summary>This device holds the epoch under its previous certificate and must commit its
    /// renewal before it sends again (under the renewed one it is not a member yet).</summary>
    public bool NeedsRenewal => RenewingFrom is { } previous && _roster.Contains(previous) && !_roster.Contains(_me.Serial) && CanRead && !HasDeparted;

    /// <summary>The serial this device is listed under in the current epoch: its own, or the one it is renewing from.</summary>
    private string? OwnMemberSerial => _roster.Contains(_me.Serial) ? _me.Serial : RenewingFrom is { } previous && _roster.Contains(previous) ? previous : null;

    public IReadOnlyList<string> MemberSerials => _roster.Members;

    public IReadOnlyList<string> MemberNames => _roster.Names;

    public IReadOnlyDictionary<string, KeyPackage> Packages => _roster.Packages;

    public bool HasPackage(string serial) => _roster.HasPackage(serial);

    /// <summary>Members whose certificates have since been revoked: they must be removed by a
    /// commit before anyone sends again.</summary>
    public IReadOnlyList<string> RevokedMembers => _roster.Members.Where(_validity.IsRevoked).ToList();

    /// <summary>Members whose user announced a departure in a signed message (from any of that
    /// user's devices; every device the user had in the group then): to be removed before the
    /// next message. A device of that user added later is not affected.</summary>
    public IReadOnlyList<string> DepartedMembers => _roster.DepartedMembers;

    /// <summary>Members whose certificate is revoked (at any date this device knows of) or expired:
    /// to be removed before the next message.</summary>
    /// <remarks>Expiry is judged at <see cref="RemovalTime"/>, not at this device's clock: a
    /// removal is judged by everyone at the time the server sequences it, so a device whose clock
    /// is fast must not decide one (and refuse to send until it is accepted) before the room's
    /// clock can have passed the end.</remarks>
    public IReadOnlyList<string> InvalidMembers
    {
        get
        {
            var at = RemovalTime;
            return _roster.Members.Where(s => IsInvalid(s, at)).ToList();
        }
    }

    private bool AnyInvalidMember()
    {
        var at = RemovalTime;
        return _roster.Members.Any(s => IsInvalid(s, at));
    }

    private bool IsInvalid(string serial, DateTimeOffset at) =>
        _validity.IsRevoked(serial) || !_roster.TryGetPackage(serial, out var package) || !_validity.ValidAt(package, at);

    // The earliest time the server can sequence this device's next event at: the room's clock, or
    // this device's clock less the tolerated skew when that is later.
    private DateTimeOffset RemovalTime => ClockSkew.EarliestElsewhere(_time.GetUtcNow()) is var earliest && earliest > RoomClock ? earliest : RoomClock;

    private GroupPosition Position => new(Room, Epoch, LastCommitHash, Policy);

    /// <summary>Everything needed to continue after a restart. It holds secrets: store it encrypted.</summary>
    public GroupStateData Export() => new GroupStateData
    {
        Room = Room,
        Epoch = Epoch,
        EpochStarted = EpochStarted,
        RoomClock = RoomClock,
        ServerEpoch = ServerEpoch,
        LastCommitHash = LastCommitHash,
        Members = [.. _roster.Members],
        DepartedSerials = [.. _roster.DepartedSerials],
        Format = 2,
        HoldsEpoch = _keys.Holds,
        InitSecret = _keys.InitSecret is { } init ? (byte[])init.Clone() : null,
        ExternalPrivate = _keys.ExternalPrivate is { } external ? (byte[])external.Clone() : null,
        ExternalPublic = _external,
        Leaves = _roster.Leaves.ToDictionary(l => l.Key, l => l.Value),
        Packages = _roster.Packages.Values.Select(p => p.ToBytes()).ToList(),
        Receiving = _keys.Receiving.ToDictionary(r => r.Key, r => r.Value.Export()),
        HighestGeneration = new Dictionary<string, uint>(_keys.HighestGeneration),
        Sending = _keys.Sending?.Export(),
        SentInEpoch = _keys.SentInEpoch,
        RenewingFrom = RenewingFrom,
        Private = Policy.Private,
        Roles = Policy.Roles.ToDictionary(r => r.Key, r => r.Value),
    }.WithLeaf(_leaf);

    /// <summary>A saved state. One saved before the format-2 key schedule (it kept the epoch
    /// secret) derives the epoch's chains and init secret from it and forgets it; every member's
    /// leaf is then its package key, so this device's first send commits an update.</summary>
    public static GroupState Import(GroupStateData data, GroupIdentity me, MemberVerifier verifier, TimeProvider? time = null, ILogger? logger = null)
    {
        var roster = Roster.Restore(data.Members, data.DepartedSerials, data.Packages.Select(b => KeyPackage.Parse(b)), data.Format >= 2 ? data.Leaves : null);
        var ownSerial = roster.Contains(me.Serial) ? me.Serial : data.RenewingFrom ?? me.Serial;
        return new(data.Room, me, verifier, time, logger)
        {
            Epoch = data.Epoch,
            EpochStarted = data.EpochStarted,
            RoomClock = data.RoomClock,
            ServerEpoch = data.ServerEpoch,
            LastCommitHash = data.LastCommitHash,
            _roster = roster,
            _keys = EpochKeys.Restore(data, roster.Members, ownSerial),
            _leaf = OwnLeaf.Restore(data),
            _external = data.ExternalPublic,
            RenewingFrom = data.RenewingFrom,
            Policy = new RoomPolicy(data.Private, new Dictionary<string, RoomRole>(data.Roles, Roster.NameComparer)),
        };
    }

    /// <summary>This device continues under <paramref name="next"/>, its renewed certificate (the
    /// same agreement key): if it was a member under the previous one, it stays able to read
    /// while it renews (<see cref="NeedsRenewal"/>), and sends nothing until the renewal is applied.</summary>
    public void SwitchIdentity(GroupIdentity next)
    {
        if (Roster.SameSerial(next.Serial, _me.Serial))
        {
            _me = next;
            return;
        }

        var previous = RenewingFrom ?? _me.Serial;
        _me = next;
        RenewFrom(previous);
    }

    /// <summary>This device was a member as <paramref name="previousSerial"/> (the serial its saved
    /// state knew it by, before a renewal while no session was open).</summary>
    public void RenewFrom(string previousSerial)
    {
        if (!Roster.SameSerial(previousSerial, _me.Serial) && _roster.Contains(previousSerial) && !_roster.Contains(_me.Serial))
        {
            RenewingFrom = previousSerial;
        }
    }

    /// <summary>Gives up renewing in place (the renewal was refused): the device joins as a newcomer.</summary>
    public void AbandonRenewal() => RenewingFrom = null;


    /// <summary>Applies one event of the room, in sequence order.</summary>
    public GroupOutcome Process(RoomEvent e)
    {
        ServerEpoch = Math.Max(ServerEpoch, e.Kind == EventKind.Commit ? e.Epoch + 1 : e.Kind == EventKind.Chat ? e.Epoch : 0);
        var at = JudgeTime(e);
        GroupOutcome outcome;
        try
        {
            outcome = e.Kind switch
            {
                EventKind.Key => ProcessPackage(e, at),
                EventKind.Commit => ProcessCommit(e, at),
                EventKind.Chat => ProcessMessage(e, at),
                _ => GroupOutcome.Reject(RejectReason.UnknownEventKind, "unknown event kind"),
            };
        }
        catch (CryptoException ex)
        {
            GroupLog.EventUnreadable(_log, ex, Room, e.Sequence, e.Kind, e.SenderSerial, ex.GetType().Name);
            return GroupOutcome.Reject(RejectReason.Malformed, ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException or OverflowException or InvalidOperationException)
        {
            // Whatever a hostile event makes a parser or a library throw, it is refused, never fatal.
            GroupLog.EventUnreadable(_log, ex, Room, e.Sequence, e.Kind, e.SenderSerial, ex.GetType().Name);
            return GroupOutcome.Reject(RejectReason.Malformed, $"malformed {e.Kind}: {ex.GetType().Name}");
        }

        if (outcome.Code is { } code)
        {
            GroupLog.EventRefused(_log, Room, e.Sequence, e.Kind, e.SenderSerial, code);
        }

        return outcome;
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

    /// <summary>Drops this device's keys for the room (it left): the commit chain and member list
    /// stay, so that joining again later continues from where it was.</summary>
    public void ForgetSecrets()
    {
        _keys.Forget();
        _leaf.Forget();
    }

    private GroupOutcome ProcessPackage(RoomEvent e, DateTimeOffset at)
    {
        var package = KeyPackage.Parse(e.Body);
        if (package.Check(_validity.Verifier, at) is { } refused)
        {
            return GroupOutcome.Reject(refused with { Reason = $"key package refused: {refused.Reason}" });
        }

        // Who relays a package does not matter: it is signed by its owner's certificate key, which
        // chains to the pinned CA. (A member may bring a contact's package into a direct room.)
        if (Roster.SameSerial(package.Serial, _me.Serial)
            && !package.Certificate.AsSpan().SequenceEqual(_me.Certificate.RawData))
        {
            return GroupOutcome.Reject(RejectReason.ImpersonatesThisDevice, "key package claims this device's serial with another certificate");
        }

        string? notice = null;
        if (_roster.TryGetPackage(package.Serial, out var known))
        {
            if (!package.Certificate.AsSpan().SequenceEqual(known.Certificate))
            {
                return GroupOutcome.Reject(RejectReason.SerialReused, "key package reuses a known serial with another certificate");
            }

            if (package.Created <= known.Created)
            {
                return new GroupOutcome(GroupOutcomeKind.Applied, Notice: "an older or repeated key package was ignored", Package: known);
            }

            notice = "KeyUpdated";
        }

        _roster.Remember(package);
        return new GroupOutcome(GroupOutcomeKind.Applied, Notice: notice, Package: package);
    }

    /// <summary>For a direct room ("@a+b"), the two users it is for; null for an open room.</summary>
    public IReadOnlyList<string>? DirectUsers() => CommitPolicy.DirectUsersOf(Room);
}
