namespace OpenChat.Engine.Client;

/// <summary>A chat message as the application sees it, after verification. A notice has its
/// <see cref="Notice"/> and no text of its own: its words are the application's.</summary>
public sealed record SecureMessage(
    string Room,
    ulong Sequence,
    string Sender,
    string SenderSerial,
    string Text,
    DateTimeOffset Time,
    DateTimeOffset SentAt,
    bool Verified,
    ContactTrust SenderTrust,
    string? Problem,
    ulong Epoch,
    bool OutOfOrder,
    uint MissingBefore)
{
    /// <summary>Sent by this user (from this or another of its devices).</summary>
    public bool IsOwn { get; init; }

    /// <summary>Not a message but a verified change of the room's encrypted membership (someone
    /// joined, was added or removed, keys rotated): shown so that nobody joins unseen.</summary>
    public bool IsNotice { get; init; }

    /// <summary>What the notice says, as data (null for messages, and for notices saved by an
    /// older version, whose words are in <see cref="Text"/>).</summary>
    public SecureNotice? Notice { get; init; }

    /// <summary>The id the sender gave the message (the same on every resend); empty for notices.</summary>
    public Guid MessageId { get; init; }

    /// <summary>The file this message announces (content type File), with the key to fetch and
    /// decrypt it; null for text. <see cref="Text"/> is empty for an attachment.</summary>
    public Files.FileAttachment? Attachment { get; init; }
}
