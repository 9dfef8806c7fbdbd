using System.Text.Json.Serialization;

namespace OpenChat.Engine.Client;

/// <summary>
/// What a notice says, as data: the engine says what happened, the cmdlets and the terminal say
/// it in words. Carried on <see cref="SecureMessage.Notice"/> and saved with unread messages.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$notice")]
[JsonDerivedType(typeof(MembershipNotice), "membership")]
[JsonDerivedType(typeof(UnreadDroppedNotice), "unread-dropped")]
[JsonDerivedType(typeof(NotSentNotice), "not-sent")]
[JsonDerivedType(typeof(KeyRenewedNotice), "key-renewed")]
public abstract record SecureNotice;

public enum MembershipNoticeKind
{
    /// <summary>The room's group was founded.</summary>
    Created,

    /// <summary>A device committed its own join.</summary>
    Joined,

    /// <summary>A member added devices (a contact's, to a direct conversation).</summary>
    Added,

    /// <summary>A member removed devices (revoked, or departed).</summary>
    Removed,

    /// <summary>A member rotated the keys.</summary>
    Rotated,

    /// <summary>This device was removed: later messages cannot be read here.</summary>
    RemovedThisDevice,

    /// <summary>Another user left; their devices are removed before the next message.</summary>
    Left,

    /// <summary>This user left (from this device or another of its devices).</summary>
    YouLeft,

    /// <summary>An admin changed the room's policy (<see cref="MembershipNotice.RoleChanges"/>).</summary>
    Managed,
}

/// <summary>A verified change of the room's encrypted membership. <see cref="Actor"/> made it;
/// <see cref="Members"/> are the group's user names after it (for the changes that have them).</summary>
public sealed record MembershipNotice(MembershipNoticeKind Kind, string Actor, IReadOnlyList<string> Members) : SecureNotice
{
    /// <summary>The devices the change brought into the group, one per user, with their safety
    /// state: said loudly in every room, because the server, as CA, can mint a certificate for any name.</summary>
    public IReadOnlyList<MemberArrival> Arrivals { get; init; } = [];

    /// <summary>The roles an admin changed with it.</summary>
    public IReadOnlyList<RoleChange> RoleChanges { get; init; } = [];
}

/// <summary>A device entered the room's group: of a user who had none in it (<see cref="NewDevice"/>
/// false: a new member), or another device of a member. <see cref="Trust"/> is the user's safety
/// state in the contact book when it arrived (Changed: a key nobody vouched for).</summary>
public sealed record MemberArrival(string UserName, bool NewDevice, ContactTrust Trust);

/// <summary>An admin changed the role of <see cref="UserName"/>: from <see cref="Before"/> (null:
/// not named) to <see cref="After"/> (<see cref="Group.RoomRole.Removed"/>: removed, with every device of theirs).</summary>
public sealed record RoleChange(string UserName, Group.RoomRole? Before, Group.RoomRole After);

/// <summary>Unread messages of the room went past the bounds and the oldest are being dropped
/// on this device (said once per room).</summary>
public sealed record UnreadDroppedNotice(int MaxMessages, long MaxChars) : SecureNotice;

/// <summary>A queued message of this user was refused for good. <see cref="Reason"/> is the
/// error's own message; <see cref="Preview"/> the start of the text, for the user to recognise it.</summary>
public sealed record NotSentNotice(string Preview, DateTimeOffset QueuedAt, string ErrorId, string Reason) : SecureNotice;

/// <summary>A device of <see cref="UserName"/> (a contact, or another device of this user) moved
/// to a new key with a handover signed by its previous key: the same device, so its trust is
/// kept; only its fingerprint (and so the safety number) changed.</summary>
public sealed record KeyRenewedNotice(string UserName) : SecureNotice;
