using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>This device in each room's encrypted group: joining or founding it, adding a peer's
/// known devices to a direct conversation, and committing removals and rotations before a send.</summary>
public sealed partial class SecureSession
{
    // The other person need not be online: if their devices' key packages are known from a room
    // we share (verified there), bring them into the direct room and add them, so the first
    // message is readable by them as soon as they connect.
    private async Task AddKnownDevicesAsync(string room, string userName, CancellationToken cancellationToken)
    {
        var group = Group(room);
        List<KeyPackage> known;
        lock (_gate)
        {
            known = _rooms.Values.Where(g => g != group)
                .SelectMany(g => g.State.MemberSerials.Where(s => g.State.Packages.ContainsKey(s)).Select(s => g.State.Packages[s]))
                .Where(p => string.Equals(p.UserName, userName, StringComparison.OrdinalIgnoreCase) && p.Verify(_verifier, group.State.SendingTime, out _))
                .GroupBy(p => p.Serial, StringComparer.OrdinalIgnoreCase).Select(g => g.First())
                .Where(p => !group.State.MemberSerials.Contains(p.Serial, StringComparer.OrdinalIgnoreCase))
                .ToList();
        }

        if (known.Count == 0)
        {
            return;
        }

        await group.Sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var package in known.Where(p => !group.State.HasPackage(p.Serial)))
            {
                var sequence = await _client.PublishAsync(room, package.ToBytes(), EventKind.Key, 0, cancellationToken: cancellationToken).ConfigureAwait(false);
                await WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
            }

            byte[] body;
            ulong builtOn;
            lock (_gate)
            {
                if (!group.State.IsMember || known.All(p => group.State.MemberSerials.Contains(p.Serial, StringComparer.OrdinalIgnoreCase)))
                {
                    return;
                }

                (body, builtOn) = group.State.CreateCommit(CommitReason.Add, group.State.MemberSerials.Concat(known.Select(p => p.Serial)).ToList());
            }

            try
            {
                var committed = await _client.PublishAsync(room, body, EventKind.Commit, builtOn, cancellationToken: cancellationToken).ConfigureAwait(false);
                await WaitProcessedAsync(group, committed, cancellationToken).ConfigureAwait(false);
            }
            catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch)
            {
                // The other person joined by themselves meanwhile; nothing left to do.
            }
        }
        finally
        {
            group.Sending.Release();
        }
    }

    // This user left (on another device) while we were getting ready: nothing more is sent, and
    // in particular no commit that would keep this device in while removing its siblings.
    private void ThrowIfDeparted(string room, RoomGroup group)
    {
        lock (_gate)
        {
            if (group.State.HasDeparted)
            {
                throw new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
                    $"You left '{UserNamePolicy.Printable(room)}' on another device; join it again to send there.");
            }
        }
    }

    private async Task EnsureMemberAsync(string room, ulong knownSequence, CancellationToken cancellationToken)
    {
        var group = Group(room);
        await WaitProcessedAsync(group, knownSequence, cancellationToken).ConfigureAwait(false);
        await group.Sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; attempt < 8; attempt++)
            {
                bool isMember, hasPackage;
                lock (_gate)
                {
                    isMember = group.State.IsMember;
                    hasPackage = group.State.HasPackage(_identity.Serial);
                }

                if (isMember)
                {
                    return;
                }

                if (!hasPackage)
                {
                    var published = await _client.PublishAsync(room, _identity.Package.ToBytes(), EventKind.Key, 0, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await WaitProcessedAsync(group, published, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                byte[] body;
                ulong builtOn;
                lock (_gate)
                {
                    // Only a room whose server has stored no commit at all is founded here; one
                    // whose history this device could not follow is never founded a second time.
                    if (group.State.Epoch == 0 && group.State.ServerEpoch != 0)
                    {
                        throw new OpenChatException(ErrorIds.GroupHistoryUnverified, ErrorKind.PolicyViolation,
                            $"The encrypted group of '{room}' could not be verified from its history on this device, so it cannot be joined. The refused events are in Receive-ChatMessage.");
                    }

                    var reason = group.State.Epoch == 0 ? CommitReason.Create : CommitReason.Join;
                    // A join changes nothing but adding this device (anything else is refused by the
                    // other members); revoked members are removed by the next sender's own commit.
                    var members = reason == CommitReason.Create ? new List<string>() : group.State.MemberSerials.ToList();
                    (body, builtOn) = group.State.CreateCommit(reason, members);
                }

                try
                {
                    var sequence = await _client.PublishAsync(room, body, EventKind.Commit, builtOn, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
                }
                catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch)
                {
                    // Someone else committed first: catch up on their commit and try again.
                    await WaitForEpochAsync(group, builtOn, cancellationToken).ConfigureAwait(false);
                }
            }

            throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable, $"Could not join the encrypted group of '{room}': it kept changing. Try again.");
        }
        finally
        {
            group.Sending.Release();
        }
    }

    // Before every message: learn of revocations and departures first (no message may be sent in
    // an epoch that still includes a removed member), then remove them, or rotate when due.
    private async Task PrepareToSendAsync(string room, RoomGroup group, CancellationToken cancellationToken)
    {
        for (var round = 0; round < 5; round++)
        {
            if (!await PrepareOnceAsync(room, group, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable, $"The encrypted group of '{room}' kept changing; the message was not sent. Try again.");
    }

    // One round: returns true when it committed (or lost a race) and must look again. Who left is
    // known from signed departures in the room itself; the server's member list is not consulted,
    // so a lying server cannot make anyone remove a member.
    private async Task<bool> PrepareOnceAsync(string room, RoomGroup group, CancellationToken cancellationToken)
    {
        AcceptRevocations(await _client.FetchRevocationsAsync(cancellationToken).ConfigureAwait(false));
        byte[]? body = null;
        ulong builtOn = 0;
        lock (_gate)
        {
            var state = group.State;
            var leaving = state.InvalidMembers.Concat(state.DepartedMembers)
                .Where(s => !string.Equals(s, _identity.Serial, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (leaving.Count > 0)
            {
                (body, builtOn) = state.CreateCommit(CommitReason.Remove, state.MemberSerials.Except(leaving, StringComparer.OrdinalIgnoreCase).ToList());
            }
            else if (state.NeedsRotation())
            {
                (body, builtOn) = state.CreateCommit(CommitReason.Rotate, state.MemberSerials.ToList());
            }
        }

        if (body is null)
        {
            return false;
        }

        ulong epochBefore;
        lock (_gate)
        {
            epochBefore = group.State.Epoch;
        }

        try
        {
            var sequence = await _client.PublishAsync(room, body, EventKind.Commit, builtOn, cancellationToken: cancellationToken).ConfigureAwait(false);
            await WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch)
        {
            await WaitForEpochAsync(group, builtOn, cancellationToken).ConfigureAwait(false);
            return true;
        }

        lock (_gate)
        {
            if (group.State.Epoch == epochBefore)
            {
                // Our own commit came back and our own group refused it (a removal of someone not
                // yet expired by the room's clock, when this machine's clock runs ahead): trying
                // again would only repeat it, and spend the commit budget.
                throw new OpenChatException(ErrorIds.CommitRefused, ErrorKind.PolicyViolation,
                    $"This device's change of the encryption of '{UserNamePolicy.Printable(room)}' was refused by the room's own rules (is this machine's clock right?); the message was not sent.");
            }
        }

        return true;
    }

    // Direct conversations opened while this device was offline were announced to nobody here:
    // find them in the room list and enter them, so what was sent meanwhile can be read.
    private async Task EnterDirectRoomsAsync(bool onlyNew = false)
    {
        try
        {
            foreach (var room in await _client.ListRoomsAsync(_closing.Token).ConfigureAwait(false))
            {
                if (room.Kind == RoomKind.Direct && room.Joined && !(onlyNew && _client.JoinedRooms.Contains(room.Name)))
                {
                    var group = Group(room.Name);
                    await _client.JoinAsync(room.Name, group.ProcessedThrough + 1, _closing.Token).ConfigureAwait(false);
                    await EnterQuietlyAsync(room.Name).ConfigureAwait(false);
                }
            }
        }
        catch (Exception)
        {
            // Offline or closing: the next connection tries again.
        }
    }

    private async Task EnterQuietlyAsync(string room)
    {
        try
        {
            await EnsureMemberAsync(room, 0, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Retried the next time the user enters or sends to the room.
        }
    }
}
