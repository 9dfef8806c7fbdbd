namespace OpenChat.Engine.Pki;

public enum InviteStatus
{
    Pending,
    Redeemed,
    Expired,
    Revoked,
}

/// <summary>What the CA stores about an invite: the verifier of its secret (a public key derived
/// from it, see <see cref="InviteProof"/>), never the secret or anything that can stand in for
/// it. <see cref="CancelReason"/> says why a revoked invite was cancelled when it was not the
/// admin cancelling it by hand (for example the revocation of the user's certificate). An empty
/// <see cref="Verifier"/> marks an invite of the old format, which can no longer be redeemed.</summary>
public sealed record InviteRecord(
    string Id,
    string UserName,
    byte[] Verifier,
    string Server,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool AdditionalDevice = false,
    DateTimeOffset? RedeemedAt = null,
    DateTimeOffset? RevokedAt = null,
    string? CancelReason = null)
{
    public InviteStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? InviteStatus.Revoked
        : RedeemedAt is not null ? InviteStatus.Redeemed
        : now >= ExpiresAt ? InviteStatus.Expired
        : InviteStatus.Pending;
}
