namespace OpenChat.Engine.Group;

/// <summary>
/// Whether a member known by its verified key package may act at a given time. Packages are fully
/// verified (signature, chain) when accepted; later uses only need to know the certificate was
/// valid and not revoked at the time the use is judged at.
/// </summary>
internal sealed class MemberValidity(MemberVerifier verifier)
{
    public static readonly Refusal Revoked = new(RejectReason.CertificateRevoked, "the certificate is revoked");

    public static readonly Refusal OutsideValidity = new(RejectReason.CertificateOutsideValidity, "the certificate is outside its validity");

    public MemberVerifier Verifier => verifier;

    /// <summary>Why <paramref name="package"/>'s certificate may not act at <paramref name="at"/>; null when it may.</summary>
    public Refusal? ProblemAt(KeyPackage package, DateTimeOffset at)
    {
        if (verifier.IsRevokedAt(package.Serial, at))
        {
            return Revoked;
        }

        if (at > package.NotAfter || !ClockSkew.HasStarted(package.NotBefore, at))
        {
            return OutsideValidity;
        }

        return null;
    }

    public bool ValidAt(KeyPackage package, DateTimeOffset at) => ProblemAt(package, at) is null;

    /// <summary>Revoked at any date this device knows of (for deciding what it does next).</summary>
    public bool IsRevoked(string serial) => verifier.IsRevoked(serial);

    // A member leaves only by a signed departure of its own user, a revocation by the CA, or the
    // end of its certificate's validity, each as of the time the removal was sequenced.
    public bool MayBeRemoved(Roster roster, string serial, DateTimeOffset at) =>
        roster.IsDeparted(serial) || verifier.MayBeRevokedAt(serial, at)
        || !roster.TryGetPackage(serial, out var package) || !ValidAt(package, at);
}
