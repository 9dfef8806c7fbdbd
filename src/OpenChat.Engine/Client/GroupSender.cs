using System.Text;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// Sends content into a room's group: under the room's send lock, after the removals and
/// rotations due, encrypted in the epoch of that moment, saved before it leaves (a crash can
/// never reuse a key), and encrypted again if the epoch went stale on the way. A direct message
/// is encrypted only in an epoch that includes a device of the other person: until one has
/// joined, it is refused with PeerNotJoined (the outbox keeps it and waits, see
/// <see cref="WaitForPeerAsync"/>).
/// </summary>
internal sealed class GroupSender(ChatClient client, RoomGroups rooms, MembershipCoordinator membership, GroupCommitter committer,
    PumpProgress progress, RevocationTracker revocations, Func<bool> saveNow, ILogger log) : IQueuedDelivery
{
    private const int MaxAttempts = 5;

    // Encrypts, signs and stores one queued message, at the time it can really be sent: in the
    // room's epoch of now, after the revocations and departures known now were applied.
    public async Task<ulong> DeliverAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
    {
        // Encrypted before (in this run or an earlier one) and waiting in the client's outbox:
        // that envelope goes, with its id; only if the room moved past its epoch is it redone.
        if (client.Outstanding(outgoing.MessageId) is { } inFlight)
        {
            try
            {
                return await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch)
            {
                SecureLog.QueuedMessageReencrypted(log, outgoing.Room);
            }
        }

        var room = outgoing.Room;
        var group = rooms[room];
        if (RoomNames.IsDirect(room) && (!client.JoinedRooms.Contains(room) || !group.Read(PeerIsMember)))
        {
            // Not opened on this device yet (perhaps queued while offline), or no device of the
            // other person in it yet: the server says whether they are (still) a user, and a
            // device of theirs known meanwhile from a room we share is added.
            await OpenDirectAsync(room, cancellationToken).ConfigureAwait(false);
        }

        // A member who has not entered the room on this connection would not see its own
        // commits and messages come back: enter first (it catches up from where it was).
        if (!group.Read(s => s.IsMember) || !client.JoinedRooms.Contains(room))
        {
            await membership.EnterAsync(room, cancellationToken).ConfigureAwait(false);
        }

        return await PublishAsync(group, Encoding.UTF8.GetBytes(outgoing.Text), ContentType.Text, cancellationToken, outgoing).ConfigureAwait(false);
    }

    public async Task<ulong> PublishAsync(RoomGroup group, byte[] content, ContentType contentType, CancellationToken cancellationToken, OutgoingMessage? queued = null)
    {
        var room = group.Room;
        using var sending = await group.EnterSendingAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            MembershipCoordinator.ThrowIfDeparted(group);
            await membership.PrepareToSendAsync(group, cancellationToken).ConfigureAwait(false);
            byte[]? body = null;
            ulong epoch = 0;
            var removeFirst = false;
            group.Update(state =>
            {
                if (state.HasDeparted)
                {
                    throw MembershipCoordinator.Departed(room);
                }

                if (contentType != ContentType.Departure && state.DepartedMembers.Count > 0)
                {
                    if (attempt >= MaxAttempts)
                    {
                        throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable,
                            $"The encrypted group of '{UserNamePolicy.Printable(room)}' kept changing; the message was not sent. Try again.");
                    }

                    removeFirst = true; // someone left meanwhile: remove them first
                    return;
                }

                // Seen stored meanwhile (its event came back), or dropped: never encrypted again.
                if (queued?.State is not (OutgoingState.Sent or OutgoingState.Failed))
                {
                    // Checked here, in the epoch it would be encrypted in: a direct message in an
                    // epoch without the other person could never be read by them.
                    if (contentType != ContentType.Departure && state.DirectUsers() is not null && !PeerIsMember(state))
                    {
                        throw PeerNotJoined(room);
                    }

                    body = state.Encrypt(content, contentType, client.Time.GetUtcNow());
                    epoch = state.ServerEpoch;
                }
            });

            if (removeFirst)
            {
                continue;
            }

            if (body is null)
            {
                return queued!.State == OutgoingState.Sent ? queued.Sequence!.Value : throw queued.Error!;
            }

            // The ratchet moved: persist before the message leaves, so a crash can never reuse a key.
            if (!saveNow())
            {
                throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                    "The session's state could not be saved (disk full or not writable), so the message was not sent.");
            }

            if (await committer.PublishMessageAsync(group, body, epoch, queued?.MessageId, retry: attempt < MaxAttempts, cancellationToken).ConfigureAwait(false) is { } sequence)
            {
                return sequence;
            }
        }
    }

    /// <summary>Completes once a device of the other person of a direct conversation is a member
    /// of its group (woken by the pump after each event it applied). There is no deadline (that
    /// may take days): the caller cancels.</summary>
    public Task WaitForPeerAsync(string room, CancellationToken cancellationToken)
    {
        var group = rooms[room];
        return progress.WaitUntilAsync(() => group.Read(PeerIsMember), cancellationToken);
    }

    // A revocation can end a wait for the other person (their certificate revoked before they
    // ever connected): the next attempt asks the server whether they are still a user.
    public Task NextRevocationList => revocations.NextList;

    private async Task OpenDirectAsync(string room, CancellationToken cancellationToken)
    {
        var peer = membership.DirectPeer(room);
        try
        {
            await membership.OpenDirectAsync(peer, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.UserNotFound)
        {
            // The server has no valid certificate of theirs: never enrolled, or revoked or
            // expired since the message was queued (perhaps before they ever connected).
            throw new OpenChatException(ErrorIds.UserNotFound, ErrorKind.NotFound,
                $"'{UserNamePolicy.Printable(peer)}' is not a user of this server (any more): they were never enrolled, or their certificate was revoked or has expired. The message was not sent.", e);
        }
    }

    // True when a device of the other user of a direct conversation is in the group's epoch.
    private bool PeerIsMember(GroupState s) =>
        s.DirectUsers() is { } users && s.MemberSerials.Any(serial => s.Packages.TryGetValue(serial, out var p)
            && !string.Equals(p.UserName, client.UserName, StringComparison.OrdinalIgnoreCase) && users.Contains(p.UserName, StringComparer.OrdinalIgnoreCase));

    private static OpenChatException PeerNotJoined(string room) => new(ErrorIds.PeerNotJoined, ErrorKind.Unavailable,
        $"The other person in '{UserNamePolicy.Printable(room)}' has no device in this conversation's encryption yet (they join by themselves when next online); the message waits until then.");
}
