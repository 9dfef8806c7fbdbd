using OpenChat.Engine.Pki;

namespace OpenChat;

/// <summary>An enrollment invite. <see cref="Invite"/> (the text to hand to the user) is only
/// known when the invite is created: the CA stores a verifier of its secret, not the secret.
/// <see cref="CancelReason"/> says why a Revoked invite was cancelled when it was not cancelled
/// by hand (for example because the user's certificate was revoked).</summary>
public sealed class ChatInvite
{
    internal ChatInvite(InviteRecord record, DateTimeOffset now, string? invite = null)
    {
        Id = record.Id;
        UserName = record.UserName;
        Server = record.Server;
        Status = record.StatusAt(now);
        CreatedAt = record.CreatedAt;
        ExpiresAt = record.ExpiresAt;
        RedeemedAt = record.RedeemedAt;
        RevokedAt = record.RevokedAt;
        CancelReason = record.CancelReason;
        AdditionalDevice = record.AdditionalDevice;
        Invite = invite;
    }

    public string Id { get; }

    public string UserName { get; }

    public string Server { get; }

    public InviteStatus Status { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset ExpiresAt { get; }

    public DateTimeOffset? RedeemedAt { get; }

    public DateTimeOffset? RevokedAt { get; }

    public string? CancelReason { get; }

    public bool AdditionalDevice { get; }

    public string? Invite { get; }

    public override string ToString() => Invite ?? $"{UserName} ({Id})";
}
