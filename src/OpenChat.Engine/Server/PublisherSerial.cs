using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>
/// Which certificate serial a published event is stamped with. Normally the connection's own. A
/// device renewed over its live connection (or renewed before reconnecting) may still have events
/// in flight that it signed under its previous certificate: stamping those with the new serial
/// would make every member refuse them as relabelled, and lose them. So when the event names a
/// predecessor of the connection's certificate in its renewal chain (same user, same device, the
/// CA recorded the renewal), it keeps that serial. Any other name is ignored and the connection's
/// serial is stamped, which members compare with the signer as before.
/// </summary>
internal static class PublisherSerial
{
    /// <summary>How many renewals back an event may still be signed: more than a device can have in flight.</summary>
    public const int MaxRenewalsBack = 3;

    /// <param name="renewedFrom">The serial a certificate was renewed from, or null.</param>
    public static string For(PeerIdentity publisher, Publish publish, Func<string, string?> renewedFrom)
    {
        // Almost every connection speaks for a certificate that renewed nothing: nothing to read.
        if (publisher.RenewedFrom is null)
        {
            return publisher.Serial;
        }

        var declared = Declared(publish);
        if (declared is null || Roster.SameSerial(declared, publisher.Serial))
        {
            return publisher.Serial;
        }

        var serial = publisher.Serial;
        for (var back = 0; back < MaxRenewalsBack; back++)
        {
            serial = (back == 0 ? publisher.RenewedFrom : renewedFrom(serial)) ?? "";
            if (serial.Length == 0)
            {
                break;
            }

            if (Roster.SameSerial(serial, declared))
            {
                return serial;
            }
        }

        return publisher.Serial;
    }

    // Only what is read without verifying anything: the members verify the signature themselves.
    private static string? Declared(Publish publish)
    {
        if (publish.Kind != EventKind.Chat)
        {
            return null;
        }

        try
        {
            return Envelope.Parse(publish.Body).SenderSerial;
        }
        catch (CryptoException)
        {
            // Not an envelope: members refuse it whatever it is stamped with.
            return null;
        }
    }
}
