using System.Security.Cryptography;

namespace OpenChat.Engine.Group;

/// <summary>
/// When a renewal commit (<see cref="CommitReason.Renew"/>) may be applied: a device's renewed
/// certificate, not a member yet, takes the place of exactly one member, its previous
/// certificate, and nobody else changes. The previous member must be the same user and either
/// have the committer's key or be the certificate the committer's key handover comes from (the
/// handover itself was verified when the package was accepted). It may have expired, within
/// <see cref="Grace"/>, but not be revoked or departed when the commit was sequenced: a revoked
/// certificate never renews, and a departed device rejoins with a join.
/// </summary>
internal static class RenewalPolicy
{
    /// <summary>How long after its previous certificate expired a device may still renew its
    /// place; the CA's default renewal window. A device past it joins again instead (and its old
    /// certificate is removed as expired).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromDays(30);

    public static Refusal? Check(Roster old, MemberValidity validity, Commit commit, DateTimeOffset at, HashSet<string> newMembers)
    {
        var committer = commit.CommitterSerial;
        if (old.Contains(committer))
        {
            return new Refusal(RejectReason.RenewByMember, "a renewal by a device that is already a member");
        }

        if (newMembers.Any(s => !old.Contains(s) && !Roster.SameSerial(s, committer)))
        {
            return new Refusal(RejectReason.RenewAddsOthers, "a renewal that also adds others");
        }

        var replaced = old.Members.Where(s => !newMembers.Contains(s)).ToList();
        if (replaced.Count != 1)
        {
            return new Refusal(RejectReason.RenewReplacesNotOne, $"a renewal must replace exactly one member, not {replaced.Count}");
        }

        var previousSerial = replaced[0];
        if (!old.TryGetPackage(previousSerial, out var previous) || !old.TryGetPackage(committer, out var renewed)
            || !Roster.SameName(previous.UserName, renewed.UserName))
        {
            return new Refusal(RejectReason.RenewOfOtherUser, $"a renewal in place of member {previousSerial}, a device of another user");
        }

        if (old.IsDeparted(previousSerial))
        {
            return new Refusal(RejectReason.RenewOfDeparted, $"a renewal in place of member {previousSerial}, whose user left");
        }

        if (validity.Verifier.MayBeRevokedAt(previousSerial, at))
        {
            return new Refusal(RejectReason.RenewOfRevoked, $"a renewal in place of member {previousSerial}, revoked when it was sequenced");
        }

        if (at > previous.NotAfter + Grace)
        {
            return new Refusal(RejectReason.RenewAfterGrace, $"a renewal in place of member {previousSerial}, expired longer ago than the renewal window");
        }

        return KeyContinues(previous, renewed);
    }

    // The same key (a plain renewal), or a new key the previous certificate's key handed over to.
    private static Refusal? KeyContinues(KeyPackage previous, KeyPackage renewed)
    {
        if (CryptographicOperations.FixedTimeEquals(KeyHandover.SpkiHash(previous.LoadCertificate()), KeyHandover.SpkiHash(renewed.LoadCertificate())))
        {
            return null;
        }

        if (renewed.ParsedHandover is not { } handover)
        {
            return new Refusal(RejectReason.RenewKeyWithoutHandover, "a renewal to another key without a key handover");
        }

        return handover.PreviousCertificate.AsSpan().SequenceEqual(previous.Certificate)
            ? null
            : new Refusal(RejectReason.RenewHandoverFromAnother, "a renewal whose key handover comes from another certificate than the one it replaces");
    }
}
