using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>A renewed device certificate in the session: the session goes on under it and
/// renews the device's place in each room's group (<see cref="MembershipRenewal"/>).</summary>
public sealed partial class SecureSession
{
    /// <summary>The certificate serial this device speaks under now.</summary>
    public string DeviceSerial => _identity.Serial;

    /// <summary>The serials of a room's current group members (for tests and diagnostics).</summary>
    internal IReadOnlyList<string> GroupMemberSerials(string room) => _rooms.Find(RoomNames.Normalize(room))?.Read(s => s.MemberSerials.ToList()) ?? [];

    // The profile's certificate is not the one the saved state knew (renewed or re-enrolled while
    // no session was open): every room this device held a place in renews it. Saved (with the
    // new identity and package) by the caller before anything is sent.
    private void RenewFromSaved(string? previousSerial)
    {
        if (previousSerial is null)
        {
            return;
        }

        foreach (var group in _rooms.All())
        {
            group.Update(s => s.RenewFrom(previousSerial));
        }

        RenewalLog.Started(_renewalLog, previousSerial, _identity.Serial, _rooms.All().Count(g => g.Read(s => s.NeedsRenewal)));
    }

    // Raised by the client once the server rebound this connection to the renewed certificate
    // (publishes from here on carry its serial). It must never throw: a failure is logged, and
    // the session goes on under the previous certificate until it is opened again.
    private void OnCertificateRenewed(object? sender, CertificateRenewedEventArgs e)
    {
        try
        {
            SwitchTo(e.Renewed);
        }
        catch (Exception ex)
        {
            _log.Failed(ex, "secure.certificate-renewed");
        }
    }

    /// <summary>Goes on under <paramref name="renewed"/>, a renewal of this device's certificate
    /// with the same key: a new key package, saved with the state before it is used, then the
    /// renewal of the device's place in every room (in the background; each room's senders wait
    /// for it). Returns false, changing nothing, for a certificate of another key or user.</summary>
    internal bool SwitchTo(System.Security.Cryptography.X509Certificates.X509Certificate2 renewed)
    {
        var current = _identity.Current;
        if (Roster.SameSerial(renewed.SerialNumber, current.Serial))
        {
            return false;
        }

        if (!KeyHandover.SpkiHash(renewed).AsSpan().SequenceEqual(KeyHandover.SpkiHash(current.Certificate))
            || !Roster.SameName(renewed.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false), current.UserName))
        {
            RenewalLog.OtherKeyIgnored(_renewalLog, renewed.SerialNumber, current.Serial);
            return false;
        }

        // A copy of the public certificate: the raiser owns (and may dispose) the one it passed.
        var next = current.Renewed(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(renewed.RawData), current.SigningKey,
            _client.Time.GetUtcNow());
        _identity.Switch(next);
        foreach (var group in _rooms.All())
        {
            group.Update(s => s.SwitchIdentity(next));
        }

        // New rooms made from here on get the new identity (RoomGroups reads the current one).
        _state.SaveNow();
        RenewalLog.Switched(_renewalLog, current.Serial, next.Serial);
        _ = Task.Run(_membership.RenewRoomsAsync);
        return true;
    }
}
