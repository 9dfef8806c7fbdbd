using Microsoft.Extensions.Logging;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>
/// One step of a room's renewal (<see cref="CommitReason.Renew"/>): a device whose certificate
/// was renewed publishes its new key package, then commits its renewed certificate in place of its
/// previous one. Called with the room's send lock held, before anything else this device sends
/// there, so no message goes out under the old serial after the switch: senders find the device
/// not a member under its new serial and come here first.
/// </summary>
internal sealed class MembershipRenewal(DeviceIdentity identity, GroupCommitter committer, RevocationTracker revocations, ILogger log)
{
    /// <summary>True when it did something (published or committed) and the caller must look again.</summary>
    public async Task<bool> RenewOnceAsync(RoomGroup group, CancellationToken cancellationToken)
    {
        var me = identity.Current;
        var (needed, hasPackage) = group.Read(s => (s.NeedsRenewal, s.HasPackage(me.Serial)));
        if (!needed)
        {
            return false;
        }

        if (!hasPackage)
        {
            await committer.PublishPackageAsync(group, me.Package, cancellationToken).ConfigureAwait(false);
            return true;
        }

        // A revoked certificate never renews: learn of revocations first, as the members judging
        // the commit will, or this device would apply a renewal they all refuse.
        await revocations.FetchAsync(cancellationToken).ConfigureAwait(false);
        (byte[] Body, ulong BuiltOn) commit;
        try
        {
            commit = group.Read(s => s.CreateRenewCommit());
        }
        catch (CryptoException e)
        {
            // The place went away meanwhile (a removal came in): the caller looks again and joins.
            log.Failed(e, "client.renewal-commit");
            return true;
        }

        var result = await committer.CommitAsync(group, commit.Body, commit.BuiltOn, cancellationToken).ConfigureAwait(false);
        if (result == CommitResult.Refused)
        {
            // The room's own rules refuse it (say a key moved without a handover): as everyone else
            // refused it too, the device joins as a new one; the old certificate is removed as it expires.
            RenewalLog.Refused(log, group.Room);
            group.Update(s => s.AbandonRenewal());
        }
        else if (result == CommitResult.Applied && group.Read(s => s.IsMember))
        {
            RenewalLog.RoomRenewed(log, group.Room, me.Serial);
        }

        return true;
    }
}
