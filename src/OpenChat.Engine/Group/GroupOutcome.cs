namespace OpenChat.Engine.Group;

public enum GroupOutcomeKind
{
    /// <summary>A key package or commit was accepted and applied.</summary>
    Applied,

    /// <summary>A chat message was verified and decrypted.</summary>
    Message,

    /// <summary>The event was refused; <see cref="GroupOutcome.Code"/> says which check failed, and
    /// <see cref="GroupOutcome.Reason"/> says it in a sentence.</summary>
    Rejected,

    /// <summary>A valid message this member may not read (from before it joined or after it left).</summary>
    NotForUs,
}

/// <summary>A decrypted, verified chat message.</summary>
public sealed record GroupMessage(string Room, ulong Sequence, string Sender, string SenderSerial, ulong Epoch, uint Generation,
    ContentType ContentType, byte[] Content, DateTimeOffset SentAt, DateTimeOffset StoredAt, bool OutOfOrder, uint MissingBefore);

public sealed record GroupOutcome(GroupOutcomeKind Kind, string Reason = "", GroupMessage? Message = null, string? Notice = null, KeyPackage? Package = null)
{
    /// <summary>Which check refused the event: set on every rejection, null otherwise.</summary>
    public RejectReason? Code { get; init; }

    public static GroupOutcome Reject(RejectReason code, string reason) => new(GroupOutcomeKind.Rejected, reason) { Code = code };

    public static GroupOutcome Reject(Refusal refusal) => Reject(refusal.Code, refusal.Reason);

    /// <summary>A refusal from outside the group's checks (a caller that could not process the event).</summary>
    public static GroupOutcome Reject(string reason) => Reject(RejectReason.Unprocessable, reason);
}
