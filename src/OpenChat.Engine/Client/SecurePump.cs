using System.Text;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Client.History;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>The receiving loop: every event of every room, in sequence order, through the room's
/// group, and what each outcome becomes for the user (messages, notices, key changes).</summary>
internal sealed class SecurePump(ChatClient client, DeviceIdentity identity, RoomGroups rooms, SecureInbox inbox, SessionHistory history, ContactBook contacts,
    RevocationTracker revocations, SecureOutbox outbox, MembershipCoordinator membership, PumpProgress progress, SessionStateStore state,
    Action<ContactRecord> contactChanged, ILogger log, CancellationToken closing)
{
    private readonly RefusalLimiter _refusals = new();

    private string UserName => client.UserName;

    public async Task RunAsync()
    {
        try
        {
            while (!closing.IsCancellationRequested)
            {
                var e = await client.ReceiveAsync(closing).ConfigureAwait(false);
                var group = rooms.GetOrAdd(e.Room, out var isNew);
                if (isNew && e.Room.StartsWith('@'))
                {
                    // Someone opened a direct conversation with us: join its group so we can read it.
                    _ = Task.Run(() => membership.EnterQuietlyAsync(e.Room));
                }

                if (group.NeedsRevocations(e) || !revocations.Dated)
                {
                    // Removals are judged against revocations: a member revoked since this device
                    // last asked would otherwise look wrongly removed. And revocations kept
                    // without their dates (by an older version) would refuse every past event of
                    // a revoked member: none is judged until a list has dated them.
                    await revocations.LearnAsync().ConfigureAwait(false);
                }

                var before = e.Kind == EventKind.Commit ? group.Read(GroupSnapshot.Of) : null;
                if (group.Process(e) is not { } outcome)
                {
                    continue;
                }

                try
                {
                    Handle(group, e, outcome, before);
                    outbox.CompleteQueued(e);
                    // A removal, the room's message count or a leaf still the package key may have made this device due.
                    membership.UpdateKeyWhenDue(group);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One event's side effects (a contact file that cannot be written, anything a
                    // hostile event provokes) never stop the rest.
                    log.Failed(ex, "secure.pump.event");
                }

                state.MarkChanged();
                progress.Advance();
            }
        }
        catch (Exception e)
        {
            // The client closed (disposed, revoked); nothing here may reach the host process.
            SecureLog.PumpEnded(log, e.GetType().Name);
            inbox.Complete();
        }
    }

    private void Handle(RoomGroup group, RoomEvent e, GroupOutcome outcome, GroupSnapshot? before)
    {
        if (e.Kind == EventKind.Chat && outcome.Kind == GroupOutcomeKind.NotForUs)
        {
            // Sent in an epoch this device holds no key for: before it joined, or after it was removed.
            history.NoteUnreadable(e.Room, e.Sequence);
            return;
        }

        if (e.Kind == EventKind.Key && outcome.Kind == GroupOutcomeKind.Applied)
        {
            ObservePackage(e, outcome);
            return;
        }

        if (e.Kind == EventKind.Commit && outcome.Kind == GroupOutcomeKind.Applied && outcome.Notice == nameof(CommitReason.Renew))
        {
            // A device took its own place under its renewed certificate: for the members nothing
            // changed (a new key shows as "renewed its key" when its package is seen).
            return;
        }

        if (e.Kind == EventKind.Commit && outcome.Kind == GroupOutcomeKind.Applied)
        {
            // Who committed is the user of the committer's verified package, never the name the
            // server put on the event: a kick or role change is told as its signer's.
            var (names, actor) = group.Read(s => (s.MemberNames, s.Packages.TryGetValue(e.SenderSerial, out var committer) ? committer.UserName : e.SenderSerial));
            var (arrivals, roles) = group.Read(s => CommitAnnouncements.Of(before!, s, actor, TrustOf, identity.IsOwn));
            Notice(e, new MembershipNotice(CommitKind(outcome.Notice), actor, names) { Arrivals = arrivals, RoleChanges = roles }, actor);
            return;
        }

        if (outcome.Kind == GroupOutcomeKind.Message && outcome.Message!.ContentType == ContentType.Departure)
        {
            var self = string.Equals(outcome.Message.Sender, UserName, StringComparison.OrdinalIgnoreCase);
            Notice(e, new MembershipNotice(self ? MembershipNoticeKind.YouLeft : MembershipNoticeKind.Left, outcome.Message.Sender, []));
            return;
        }

        var (attachment, attachmentProblem) = AttachmentOf(e, outcome);
        SecureMessage? message = outcome.Kind switch
        {
            GroupOutcomeKind.Message => new SecureMessage(e.Room, e.Sequence, outcome.Message!.Sender, outcome.Message.SenderSerial,
                outcome.Message.ContentType == ContentType.File ? "" : Encoding.UTF8.GetString(outcome.Message.Content), e.Time, outcome.Message.SentAt,
                attachmentProblem is null, TrustOf(outcome.Message.Sender, outcome.Message.SenderSerial), attachmentProblem,
                outcome.Message.Epoch, outcome.Message.OutOfOrder, outcome.Message.MissingBefore)
            {
                IsOwn = string.Equals(outcome.Message.Sender, UserName, StringComparison.OrdinalIgnoreCase),
                MessageId = e.MessageId,
                Attachment = attachment,
            },
            GroupOutcomeKind.Rejected when _refusals.Admit(e.Room, e.Sender, e.Time, $"{e.Kind} refused: {outcome.Reason}") is { } refusal =>
                new SecureMessage(e.Room, e.Sequence, e.Sender, e.SenderSerial, "", e.Time, e.Time, false, TrustOf(e.Sender, e.SenderSerial), refusal, e.Epoch, false, 0) { MessageId = e.MessageId },
            _ => null,
        };

        if (outcome.Kind == GroupOutcomeKind.Rejected)
        {
            SecureLog.EventRefused(log, e.Room, e.Sequence, e.Kind.ToString(), e.SenderSerial);
        }

        if (message is not null)
        {
            history.Record(message);
            inbox.Add(message);
        }
    }

    // An attachment's announcement is signed, but its fields are the sender's word: one that
    // does not hold together (name, size against chunks, hash or key length) is shown refused.
    private (Files.FileAttachment? Attachment, string? Problem) AttachmentOf(RoomEvent e, GroupOutcome outcome)
    {
        if (outcome.Kind != GroupOutcomeKind.Message || outcome.Message!.ContentType != ContentType.File)
        {
            return (null, null);
        }

        try
        {
            return (Files.FileAttachment.Parse(outcome.Message.Content), null);
        }
        catch (Crypto.CryptoException ex)
        {
            FileLog.AttachmentRefused(log, e.Room, e.Sequence, ex.Message);
            return (null, $"attachment refused: {ex.Message}");
        }
    }

    // The group says which change a commit made by its reason's name, or that it removed this device.
    internal static MembershipNoticeKind CommitKind(string? notice) => notice switch
    {
        "RemovedFromRoom" => MembershipNoticeKind.RemovedThisDevice,
        nameof(CommitReason.Create) => MembershipNoticeKind.Created,
        nameof(CommitReason.Join) => MembershipNoticeKind.Joined,
        nameof(CommitReason.Add) => MembershipNoticeKind.Added,
        nameof(CommitReason.Remove) => MembershipNoticeKind.Removed,
        nameof(CommitReason.Manage) => MembershipNoticeKind.Managed,
        _ => MembershipNoticeKind.Rotated,
    };

    private void ObservePackage(RoomEvent e, GroupOutcome outcome)
    {
        // The package itself says whose it is (it is signed by its owner); whoever relayed it
        // does not matter, and may not own a package here at all.
        if (outcome.Package is not { } package)
        {
            return;
        }

        // Our own devices count in safety numbers too, the same way the other side sees them,
        // and a new one under our own name (the server, as CA, could mint it) is as loud as a
        // contact's: it could read our rooms and speak as us.
        var before = contacts.Find(package.UserName)?.Trust;
        // The package was accepted, so its handover (if any) was verified with it, as of the time
        // the handover says it was made. That time is the signer's word: a key revoked since, or
        // one whose certificate ended long before this package, vouches for nothing here, and the
        // new key is then the loud change it would be without a handover.
        var handover = package.ParsedHandover;
        if (handover is not null && (revocations.IsRevoked(handover.LoadPrevious().SerialNumber)
            || e.Time > new DateTimeOffset(handover.LoadPrevious().NotAfter.ToUniversalTime()) + Group.RenewalPolicy.Grace))
        {
            handover = null;
        }

        var change = contacts.ObserveKey(package.UserName, package.LoadCertificate(), e.Time, handover);
        var after = contacts.Find(package.UserName)!.Trust;
        var isThisDevice = identity.IsOwn(package.Serial);
        if (!isThisDevice && change == ContactKeyChange.Renewed)
        {
            Notice(e, new KeyRenewedNotice(package.UserName));
        }

        if (!isThisDevice && after == ContactTrust.Changed && before != ContactTrust.Changed && before is not null)
        {
            try
            {
                contactChanged(contacts.Find(package.UserName)!);
            }
            catch (Exception ex)
            {
                // The application's handler failed; the change is in the contact book regardless.
                log.Failed(ex, "secure.contact-changed");
            }
        }
    }

    // sender: who the notice is from when the group verified it (a commit's signer); otherwise
    // the name the server gave the event.
    private void Notice(RoomEvent e, SecureNotice notice, string? sender = null)
    {
        sender ??= e.Sender;
        var message = new SecureMessage(e.Room, e.Sequence, sender, e.SenderSerial, "", e.Time, e.Time, true, TrustOf(sender, e.SenderSerial), null, e.Epoch, false, 0)
        {
            IsNotice = true,
            IsOwn = string.Equals(sender, UserName, StringComparison.OrdinalIgnoreCase),
            Notice = notice,
        };
        history.Record(message);
        inbox.Add(message);
    }

    // This device is trusted by definition; everyone else, our own other devices included, is
    // trusted as far as the contact book says.
    private ContactTrust TrustOf(string user, string serial) =>
        identity.IsOwn(serial) ? ContactTrust.Verified : contacts.Find(user)?.Trust ?? ContactTrust.Unverified;
}
