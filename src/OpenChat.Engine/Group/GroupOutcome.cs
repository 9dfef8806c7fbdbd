using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

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
