namespace OpenChat.Engine.Pki;

public enum InviteStatus
{
    Pending,
    Redeemed,
    Expired,
    Revoked,
}

/// <summary>What the CA stores about an invite: only a hash of its secret, never the secret.</summary>
public sealed record InviteRecord(
    string Id,
    string UserName,
    byte[] SecretHash,
    string Server,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool AdditionalDevice = false,
    DateTimeOffset? RedeemedAt = null,
    DateTimeOffset? RevokedAt = null)
{
    public InviteStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? InviteStatus.Revoked
        : RedeemedAt is not null ? InviteStatus.Redeemed
        : now >= ExpiresAt ? InviteStatus.Expired
        : InviteStatus.Pending;
}
