namespace OpenChat.Engine.Group;

/// <summary>
/// Why the group refused an event: one member per check that can fail, so that a caller (and a
/// test) tells refusals apart by value, not by a word in <see cref="GroupOutcome.Reason"/>, which
/// stays a sentence for people. The values are stable: add new ones, never renumber.
/// </summary>
public enum RejectReason
{
    // Any event.

    /// <summary>The event's kind is none the group knows.</summary>
    UnknownEventKind = 1,

    /// <summary>The body does not parse, or a value in it makes a parser or a library throw.</summary>
    Malformed = 2,

    /// <summary>The event names another room than the one it was sequenced in.</summary>
    AnotherRoom = 3,

    /// <summary>A certificate the event relies on (its package, sender, committer or an added
    /// member) was revoked by the time the event was sequenced.</summary>
    CertificateRevoked = 4,

    /// <summary>A certificate the event relies on was outside its validity when the event was sequenced.</summary>
    CertificateOutsideValidity = 5,

    /// <summary>The refusal came from outside the group's checks (a caller that could not process the event).</summary>
    Unprocessable = 6,

    // Key packages.

    /// <summary>The package's certificate cannot be read.</summary>
    CertificateUnreadable = 10,

    /// <summary>The package's certificate does not chain to the pinned CA (as a client certificate).</summary>
    CertificateNotFromPinnedCa = 11,

    /// <summary>The package names another user than its certificate does.</summary>
    PackageNameMismatch = 12,

    /// <summary>The certificate's user name is one the CA's policy would not allow (look-alikes, control characters).</summary>
    UserNameNotAllowed = 13,

    /// <summary>The package's signature does not verify under its certificate's key.</summary>
    BadPackageSignature = 14,

    /// <summary>The package's agreement key is not a P-256 point.</summary>
    BadAgreementKey = 15,

    /// <summary>A package claims this device's serial with another certificate.</summary>
    ImpersonatesThisDevice = 16,

    /// <summary>A package reuses a known serial with another certificate.</summary>
    SerialReused = 17,

    // Commits: where the commit goes in the chain and who signed it.

    /// <summary>A commit for an epoch that has already passed.</summary>
    StaleCommit = 20,

    /// <summary>A commit that skips epochs.</summary>
    CommitSkipsEpochs = 21,

    /// <summary>A commit whose parent hash is not the last commit's (a fork).</summary>
    ParentMismatch = 22,

    /// <summary>A commit by a serial whose key package this device has not verified.</summary>
    UnknownCommitter = 23,

    /// <summary>A commit published by another device than the one it names as committer.</summary>
    CommitterNotPublisher = 24,

    /// <summary>The commit's signature does not verify under the committer's key.</summary>
    BadCommitSignature = 25,

    // Commits: the new member list.

    /// <summary>The commit names a member with a key package this device has not verified.</summary>
    UnverifiedMemberPackage = 30,

    /// <summary>The commit lists a member twice.</summary>
    DuplicateMember = 31,

    /// <summary>The committer is not in the epoch its own commit makes.</summary>
    CommitterNotInNewEpoch = 32,

    /// <summary>A direct room's commit holds a device of a third user.</summary>
    DirectRoomOutsider = 33,

    /// <summary>The commit's secret for this device does not open.</summary>
    SecretDoesNotOpen = 34,

    // Commits: who may make which change.

    /// <summary>A create commit on a room that already has a group (only the first commit founds one).</summary>
    CreateNotFirst = 40,

    /// <summary>A create commit that holds anyone but its committer.</summary>
    CreateWithOthers = 41,

    /// <summary>A join of a room that has no group yet.</summary>
    JoinWithoutGroup = 42,

    /// <summary>A join by a current member that has not departed.</summary>
    JoinByMember = 43,

    /// <summary>A departed member's rejoin that also adds or removes others.</summary>
    RejoinChangesOthers = 44,

    /// <summary>A join that also adds or removes others.</summary>
    JoinChangesOthers = 45,

    /// <summary>An add, removal or rotation by someone who is not a member.</summary>
    CommitterNotAMember = 46,

    /// <summary>An add that removes members.</summary>
    AddRemovesMembers = 47,

    /// <summary>A removal that adds members.</summary>
    RemovalAddsMembers = 48,

    /// <summary>A removal of a member who was neither revoked, expired nor departed when it was sequenced.</summary>
    RemovalOfEntitledMember = 49,

    /// <summary>A rotation that changes the members.</summary>
    RotationChangesMembers = 50,

    /// <summary>A commit reason none the group knows.</summary>
    UnknownCommitReason = 51,

    // Messages.

    /// <summary>A message sent in an epoch that has ended.</summary>
    StaleEpoch = 60,

    /// <summary>A message of an epoch this device has no commit for yet.</summary>
    UnknownEpoch = 61,

    /// <summary>The sender is not a member of the message's epoch.</summary>
    SenderNotAMember = 62,

    /// <summary>The sender's name is not its certificate's.</summary>
    SenderNameMismatch = 63,

    /// <summary>The message's signature does not verify under the sender's key.</summary>
    BadSignature = 64,

    /// <summary>The server labelled the message with another sender than the one who signed it.</summary>
    RelabelledSender = 65,

    /// <summary>A message already received.</summary>
    Replay = 66,

    /// <summary>A generation too far ahead of the sender's last message.</summary>
    TooFarAhead = 67,

    /// <summary>The message's token does not decrypt under its key.</summary>
    DoesNotDecrypt = 68,

    /// <summary>A verified message of a content type this version cannot show.</summary>
    UnknownContentType = 69,

    // Commits: a renewal (a device's renewed certificate takes the place of its previous one).

    /// <summary>A renewal by a device that is already a member.</summary>
    RenewByMember = 70,

    /// <summary>A renewal that replaces no member, or more than one.</summary>
    RenewReplacesNotOne = 71,

    /// <summary>A renewal that also adds someone besides the renewed device.</summary>
    RenewAddsOthers = 72,

    /// <summary>A renewal in place of another user's device.</summary>
    RenewOfOtherUser = 73,

    /// <summary>A renewal to a different key that carries no key handover.</summary>
    RenewKeyWithoutHandover = 74,

    /// <summary>A renewal whose key handover comes from another certificate than the one it replaces.</summary>
    RenewHandoverFromAnother = 75,

    /// <summary>A renewal in place of a certificate revoked when the renewal was sequenced.</summary>
    RenewOfRevoked = 76,

    /// <summary>A renewal in place of a device whose user announced a departure.</summary>
    RenewOfDeparted = 77,

    /// <summary>A renewal in place of a certificate that expired longer ago than the renewal grace window.</summary>
    RenewAfterGrace = 78,

    // Key handovers (a device moving to a new key, signed by its previous one).

    /// <summary>The handover does not parse.</summary>
    HandoverMalformed = 80,

    /// <summary>The previous certificate is not a client certificate of the pinned CA valid (and
    /// not revoked) when the handover says it was made.</summary>
    HandoverPreviousNotValid = 81,

    /// <summary>The previous and the next certificate name different users.</summary>
    HandoverOtherUser = 82,

    /// <summary>The handover names another key than the next certificate's.</summary>
    HandoverOtherKey = 83,

    /// <summary>The next certificate did not begin near the time the handover was made.</summary>
    HandoverOutOfTime = 84,

    /// <summary>The handover's signature does not verify under the previous certificate's key.</summary>
    HandoverBadSignature = 85,

    // Key schedule of format 2 (part A: 90-99).

    /// <summary>A format-2 commit names a member with another key reference than the key this
    /// device holds for it (a carried-over member's leaf, an added member's package, the committer's new key).</summary>
    KeyReferenceMismatch = 90,

    /// <summary>A format-2 commit whose committer key, external key or sealed external key is
    /// missing or not of its size, or whose committer entry carries a wrapped secret.</summary>
    CommitKeysMalformed = 91,

    /// <summary>This device's own commit came back, but no pending entry of this device matches it
    /// (its state was lost or rolled back): it cannot know the new epoch.</summary>
    OwnCommitNotPending = 92,

    /// <summary>The commit builds on the previous epoch's init secret, which this device does not hold.</summary>
    InitSecretMissing = 93,

    /// <summary>A format-1 commit in a room that already applied a format-2 one: the first key
    /// schedule would hand the epoch to whoever holds a member's long-term key, undoing healing.</summary>
    LegacyCommitInFormat2Room = 94,

    /// <summary>A format-2 commit whose sealed external key opens, but is not the private half of its external key.</summary>
    ExternalKeyMismatch = 95,

    /// <summary>A format-2 commit whose committer key is a leaf already in the group (the committer's
    /// own current one, or another member's): an update that would heal nothing.</summary>
    CommitterKeyNotFresh = 96,

    // Roles and private rooms (RolePolicy).

    /// <summary>A commit other than a Manage (or the Create) changes the room's policy.</summary>
    PolicyChangedOutsideManage = 100,

    /// <summary>A Manage by a device whose user is not an admin in the epoch before.</summary>
    ManageByNonAdmin = 101,

    /// <summary>A commit makes a private room open or an open room private.</summary>
    PrivacyChanged = 102,

    /// <summary>A Manage drops a user from the policy (a user is removed by marking them Removed).</summary>
    ManageUnnamesUser = 103,

    /// <summary>A Manage leaves a room that had an admin without any.</summary>
    LastAdminRemoved = 104,

    /// <summary>A Manage adds devices to the group (an added user joins by their own Join).</summary>
    ManageAddsDevices = 105,

    /// <summary>A Manage marks a user Removed but keeps one of their devices in the group.</summary>
    ManageKeepsRemovedDevices = 106,

    /// <summary>A Manage drops a device whose user it does not mark Removed.</summary>
    ManageDropsOthers = 107,

    /// <summary>A join of a private room by a user its policy does not name as Member or Admin.</summary>
    JoinNotInPrivateRoom = 108,

    /// <summary>A commit that makes a device of a user the private room does not name a member.</summary>
    PrivateRoomOutsider = 109,

    /// <summary>A join by a user an admin marked Removed (until an admin adds them back).</summary>
    RemovedUserRejoins = 110,

    /// <summary>A commit that keeps or adds a device of a user marked Removed.</summary>
    RemovedUserMember = 111,

    /// <summary>A create commit whose policy is not its creator's (the creator as the only admin).</summary>
    CreatePolicyNotCreators = 112,

    /// <summary>A create commit of a direct conversation with roles (it has none: its two users are equals).</summary>
    DirectRoomWithRoles = 113,

    /// <summary>A Manage in a direct conversation (nobody there may kick or promote the other).</summary>
    ManageInDirectRoom = 114,
}
