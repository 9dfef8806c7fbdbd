using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage;

/// <summary>
/// Everything the certificate authority persists, behind one narrow seam so that another
/// database can take SQLite's place. Operations that must not race (a name's uniqueness, an
/// invite's single use, a certificate's single revocation) are atomic here, not in callers.
/// </summary>
public interface ICaStore : IDisposable
{
    /// <summary>Stores a newly issued certificate. When <paramref name="uniqueClientName"/> is set,
    /// fails with <see cref="ErrorIds.UserNameTaken"/> if another valid client certificate holds
    /// the same name; the check and the insert are one transaction. A client certificate for a name
    /// new to the CA is refused with <see cref="ErrorIds.UserNameConfusable"/>, in the same
    /// transaction, when it looks like another user's (<see cref="LookalikeOf"/>).</summary>
    void AddCertificate(CertificateRecord record, bool uniqueClientName, DateTimeOffset now);

    /// <summary>Stores a renewal: <paramref name="record"/> names the certificate it renews in
    /// <see cref="CertificateRecord.RenewedFrom"/>. In one transaction with the insert, refuses
    /// (and stores nothing) when that certificate is unknown, revoked
    /// (<see cref="ErrorIds.RenewalOfRevokedCertificate"/>) or already renewed
    /// (<see cref="ErrorIds.CertificateAlreadyRenewed"/>).</summary>
    void AddRenewal(CertificateRecord record);

    CertificateRecord? GetCertificate(string serial);

    /// <summary>All certificates, optionally of one kind and one normalized name.</summary>
    IReadOnlyList<CertificateRecord> FindCertificates(CertificateKind? kind = null, string? normalizedName = null);

    /// <summary>Marks a certificate revoked. If it was its user's last valid client certificate,
    /// every pending invite for that user is cancelled in the same transaction, recording
    /// <paramref name="inviteCancelReason"/>. Returns the ids of the cancelled invites, or null if
    /// the certificate was already revoked.</summary>
    IReadOnlyList<string>? RevokeCertificate(string serial, DateTimeOffset revokedAt, X509RevocationReason reason, string inviteCancelReason = "");

    /// <summary>Serials revoked at or after <paramref name="since"/>: what a running server polls
    /// to close the live connections of a revoked certificate.</summary>
    IReadOnlyList<string> RevokedSince(DateTimeOffset since);

    /// <summary>Returns the next CRL number (starting at 1) and records that it was used.</summary>
    long NextCrlNumber();

    /// <summary>Stores an invite; refuses it with <see cref="ErrorIds.UserNameConfusable"/>, in
    /// one transaction with the insert, when its name looks like another user's
    /// (<see cref="LookalikeOf"/>, at the invite's creation time).</summary>
    void AddInvite(InviteRecord invite);

    /// <summary>The name of another user that <paramref name="userName"/> looks like
    /// (<see cref="UserNameSkeleton"/>), or null. "Users" are the names of client certificates
    /// not revoked (valid or expired: contacts still remember a lapsed name) and of invites
    /// pending at <paramref name="now"/>. A name the CA already knows in that sense is never a
    /// look-alike: its further devices and re-enrollments are the same person, and look-alike
    /// pairs stored before this check existed keep working.</summary>
    string? LookalikeOf(string userName, DateTimeOffset now);

    InviteRecord? GetInvite(string id);

    IReadOnlyList<InviteRecord> FindInvites(string? normalizedUserName = null);

    /// <summary>Marks an invite redeemed if it is still pending at <paramref name="now"/>.
    /// Returns false when someone else redeemed, revoked or let it expire first.</summary>
    bool TryRedeemInvite(string id, DateTimeOffset now);

    /// <summary>Cancels a pending invite. Returns false if it was no longer pending.</summary>
    bool TryRevokeInvite(string id, DateTimeOffset now);

    /// <summary>Cancels every pending invite for a user, recording why; returns their ids.</summary>
    IReadOnlyList<string> CancelPendingInvites(string normalizedUserName, DateTimeOffset now, string reason);

    string? GetSetting(string key);

    void SetSetting(string key, string value);
}
