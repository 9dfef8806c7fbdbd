using OpenChat.Engine.Client;

namespace OpenChat;

/// <summary>A chat message as received: decrypted and verified, or refused with the reason.</summary>
public sealed class ChatMessage
{
    internal ChatMessage(SecureMessage message)
    {
        Room = message.Room;
        Sequence = message.Sequence;
        Sender = message.Sender;
        Text = NoticeText.Of(message);
        Time = message.Time;
        SentAt = message.SentAt;
        Verified = message.Verified;
        SenderTrust = message.SenderTrust;
        Problem = message.Problem;
        Epoch = message.Epoch;
        OutOfOrder = message.OutOfOrder;
        MissingBefore = message.MissingBefore;
        SenderDevice = message.SenderSerial;
        IsOwn = message.IsOwn;
        IsNotice = message.IsNotice;
        Notice = message.Notice;
        Attachment = message.Attachment is { } file ? new ChatAttachment(file) : null;
        Source = message;
    }

    /// <summary>The file the message carries (save it with Save-ChatFile); null for text.</summary>
    public ChatAttachment? Attachment { get; }

    /// <summary>The engine's message, with the attachment's key, for Save-ChatFile.</summary>
    internal SecureMessage Source { get; }

    /// <summary>A change of the room's encrypted membership rather than a message.</summary>
    public bool IsNotice { get; }

    /// <summary>What the notice says, as data (its words are in <see cref="Text"/>); null for messages.</summary>
    public SecureNotice? Notice { get; }

    /// <summary>Sent by you (from this or another of your devices).</summary>
    public bool IsOwn { get; }

    public string Room { get; }

    /// <summary>The room's sequence number: gap-free, the order everyone sees.</summary>
    public ulong Sequence { get; }

    public string Sender { get; }

    public string Text { get; }

    /// <summary>When the server stored the message.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>When the sender encrypted it (the sender's clock).</summary>
    public DateTimeOffset SentAt { get; }

    /// <summary>True when the signature verified against the sender's certificate and the
    /// content decrypted; false for anything refused (see <see cref="Problem"/>).</summary>
    public bool Verified { get; }

    /// <summary>Whether you have verified the sender's safety number, or their keys changed.</summary>
    public ContactTrust SenderTrust { get; }

    public string? Problem { get; }

    public ulong Epoch { get; }

    /// <summary>The server delivered this message after a later one from the same sender.</summary>
    public bool OutOfOrder { get; }

    /// <summary>Messages of this sender that were never delivered before this one.</summary>
    public uint MissingBefore { get; }

    /// <summary>The serial of the certificate (device) that signed it.</summary>
    public string SenderDevice { get; }

    /// <summary>How the message reads as one line of a terminal (neutralised: see
    /// <see cref="OpenChat.Engine.TerminalText"/>); <see cref="Text"/> keeps the exact characters.</summary>
    public override string ToString() => Attachment is { } file
        ? OpenChat.Engine.TerminalText.Neutralise($"[{Room}] {Sender}: [file] {file.Name} ({ChatAttachment.FormatSize(file.Size)})")
        : OpenChat.Engine.TerminalText.Neutralise($"[{Room}] {Sender}: {Text}");
}

/// <summary>A contact and the safety number to compare with them.</summary>
public sealed class ChatContact
{
    internal ChatContact(ContactRecord record, string? safetyNumber)
    {
        UserName = record.UserName;
        Trust = record.Trust;
        SafetyNumber = safetyNumber;
        Devices = record.Devices.Count;
        Fingerprints = [.. record.Devices];
        FirstSeen = record.FirstSeen;
        ChangedAt = record.ChangedAt;
        KeyRenewedAt = record.KeyRenewedAt;
        ReplacedFingerprints = [.. record.ReplacedDevices];
    }

    public string UserName { get; }

    public ContactTrust Trust { get; }

    /// <summary>Compare this with the contact (in person or by a call); both sides see the same.</summary>
    public string? SafetyNumber { get; }

    public int Devices { get; }

    public string[] Fingerprints { get; }

    public DateTimeOffset FirstSeen { get; }

    public DateTimeOffset? ChangedAt { get; }

    /// <summary>When a device of the contact last renewed its key (moved to a new key with a
    /// handover signed by the previous one, keeping its trust); null if none did.</summary>
    public DateTimeOffset? KeyRenewedAt { get; }

    /// <summary>The fingerprints such renewals replaced, oldest first.</summary>
    public string[] ReplacedFingerprints { get; }

    public override string ToString() => OpenChat.Engine.TerminalText.Neutralise($"{UserName} ({Trust})");
}
