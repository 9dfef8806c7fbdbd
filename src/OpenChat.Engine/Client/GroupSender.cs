using System.Text;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// Sends content into a room's group: under the room's send lock, after the removals and
/// rotations due, encrypted in the epoch of that moment, saved before it leaves (a crash can
/// never reuse a key), and encrypted again if the epoch went stale on the way.
/// </summary>
internal sealed class GroupSender(ChatClient client, RoomGroups rooms, MembershipCoordinator membership, GroupCommitter committer,
    PumpProgress progress, Func<bool> saveNow, ILogger log)
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
        if (RoomNames.IsDirect(room) && !client.JoinedRooms.Contains(room))
        {
            // Queued for a conversation not opened on this device yet (perhaps while offline).
            await membership.OpenDirectAsync(membership.DirectPeer(room), cancellationToken).ConfigureAwait(false);
        }

        // A member who has not entered the room on this connection would not see its own
        // commits and messages come back: enter first (it catches up from where it was).
        if (!group.Read(s => s.IsMember) || !client.JoinedRooms.Contains(room))
        {
            await membership.EnterAsync(room, cancellationToken).ConfigureAwait(false);
        }

        if (room.StartsWith('@'))
        {
            await WaitForPeerAsync(group, cancellationToken).ConfigureAwait(false);
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
                    body = state.Encrypt(content, contentType, DateTimeOffset.UtcNow);
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

    // A direct conversation is readable by the other person only once their device has joined its
    // group, which happens as soon as they are online; until then, refuse rather than send blind.
    internal Task WaitForPeerAsync(RoomGroup group, CancellationToken cancellationToken) =>
        progress.WaitUntilAsync(
            () => group.Read(s => s.DirectUsers() is { } users && s.MemberSerials.Any(serial => s.Packages.TryGetValue(serial, out var p)
                && !string.Equals(p.UserName, client.UserName, StringComparison.OrdinalIgnoreCase) && users.Contains(p.UserName, StringComparer.OrdinalIgnoreCase))),
            TimeSpan.FromSeconds(10), ErrorIds.PeerNotJoined,
            $"The other person in '{group.Room}' has not joined this conversation's encryption yet (they join automatically when next online). Try again then.",
            cancellationToken);
}
