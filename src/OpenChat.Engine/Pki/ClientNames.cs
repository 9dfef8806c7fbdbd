using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>Whether a name may go to a new client certificate, or to an invite for one: the same
/// answer for the CA that signs and the invite book that promises.</summary>
public static class ClientNames
{
    /// <summary>Refuses a name that breaks <see cref="UserNamePolicy"/>, is one of the server's
    /// own names (or looks like one), (unless <paramref name="additionalDevice"/>) is held by a valid
    /// certificate, or looks like another user's name (<see cref="ICaStore.LookalikeOf"/>). The
    /// store checks the look-alike again inside the transaction that stores the name; this early
    /// answer spares a CSR check or an invite's use that could only end in that refusal.</summary>
    public static void EnsureAvailable(ICaStore store, string userName, bool additionalDevice, DateTimeOffset now)
    {
        UserNamePolicy.Validate(userName);
        // A held name is an existing user's: another device of theirs is not a new look-alike.
        var held = IsHeld(store, userName, now);
        ServerNames.EnsureNotServerName(store, userName, lookalikes: !held);
        if (!additionalDevice && held)
        {
            throw UserNamePolicy.Taken(userName);
        }

        if (store.LookalikeOf(userName, now) is { } existing)
        {
            throw UserNamePolicy.Confusable(userName, existing);
        }
    }

    /// <summary>True when a client certificate for <paramref name="userName"/> (in any case) is valid at <paramref name="now"/>.</summary>
    public static bool IsHeld(ICaStore store, string userName, DateTimeOffset now) =>
        store.FindCertificates(CertificateKind.Client, UserNamePolicy.Normalize(userName)).Any(r => r.StatusAt(now) == CertificateStatus.Valid);
}
