using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>This device in each room's encrypted group: entering and founding it, adding a peer's
/// known devices to a direct conversation, and committing removals and key updates before a send.</summary>
internal sealed class MembershipCoordinator(ChatClient client, DeviceIdentity identity, MemberVerifier verifier, RoomGroups rooms,
    GroupCommitter committer, MembershipRenewal renewal, RevocationTracker revocations, ILogger log, CancellationToken closing)
{
    /// <summary>The longest a device waits, once its key update is due (after a removal, say),
    /// before it commits it in the background (a random wait up to it, so a room's members do not all race).</summary>
    public static readonly TimeSpan MaxUpdateDelayAfterRemoval = TimeSpan.FromSeconds(5);

    /// <summary>How often every room is looked at for a due key update besides after each event:
    /// a room that is quiet still sees this device's key replaced once it is old.</summary>
    public static readonly TimeSpan KeyUpdateCheckInterval = TimeSpan.FromMinutes(1);

    // Rooms with a background update on its way (one at a time per room).
    private readonly ConcurrentDictionary<string, byte> _updating = new(StringComparer.Ordinal);

    /// <summary>How long a room whose background update failed waits before the background tries
    /// again (the next send still commits it first): a refused update must not become a commit loop.</summary>
    public static readonly TimeSpan BackgroundRetryAfterFailure = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _updateFailedAt = new(StringComparer.Ordinal);

    private string UserName => client.UserName;

    /// <summary>Joins an existing room and makes this device a member of its encrypted group.</summary>
    public Task<JoinedRoom> EnterAsync(string room, CancellationToken cancellationToken) => EnterAsync(room, create: false, cancellationToken);

    /// <summary>Joins a room, or with <paramref name="create"/> creates it first (the server
    /// refuses one that exists), and makes this device a member of its encrypted group: the
    /// first member founds the group.</summary>
    public async Task<JoinedRoom> EnterAsync(string room, bool create, CancellationToken cancellationToken, bool isPrivate = false)
    {
        room = RoomNames.Normalize(room);
        var group = rooms[room];
        var joined = create
            ? await client.CreateRoomAsync(room, cancellationToken).ConfigureAwait(false)
            : await client.JoinAsync(room, group.ProcessedThrough + 1, cancellationToken).ConfigureAwait(false);
        group.SetCatchUpTarget(joined.LastSequence);
        await EnsureMemberAsync(group, joined.LastSequence, cancellationToken, create ? isPrivate : null).ConfigureAwait(false);
        return joined;
    }

    public async Task<JoinedRoom> OpenDirectAsync(string userName, CancellationToken cancellationToken)
    {
        var joined = await client.OpenDirectAsync(userName, null, cancellationToken).ConfigureAwait(false);
        var entered = await EnterAsync(joined.Name, cancellationToken).ConfigureAwait(false);
        await AddKnownDevicesAsync(rooms[joined.Name], userName, cancellationToken).ConfigureAwait(false);
        return entered;
    }

    /// <summary>The other user of a direct conversation of ours.</summary>
    public string DirectPeer(string room)
    {
        if (room.IndexOf('+') <= RoomNames.DirectPrefix.Length || room.EndsWith('+'))
        {
            throw new OpenChatException(ErrorIds.RoomNameInvalid, ErrorKind.InvalidArgument,
                $"'{UserNamePolicy.Printable(room)}' is not a direct conversation's name (those look like @alice+bob).");
        }

        var (a, b) = RoomNames.DirectMembers(room);
        var me = UserNamePolicy.Normalize(UserName);
        return a == me ? b : b == me ? a : throw new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
            $"'{UserNamePolicy.Printable(room)}' is a direct conversation of other users.");
    }

    // The other person need not be online: if their devices' key packages are known from a room
    // we share (verified there), bring them into the direct room and add them, so the first
    // message is readable by them as soon as they connect.
    private async Task AddKnownDevicesAsync(RoomGroup group, string userName, CancellationToken cancellationToken)
    {
        // Each room is read through its own gate, one at a time; never two gates at once.
        var candidates = rooms.All().Where(g => g != group)
            .SelectMany(g => g.Read(s => s.MemberSerials.Where(s.Packages.ContainsKey).Select(serial => s.Packages[serial]).ToList()))
            .Where(p => string.Equals(p.UserName, userName, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var known = group.Read(s => candidates.Where(p => p.Verify(verifier, s.SendingTime, out _))
            .GroupBy(p => p.Serial, StringComparer.OrdinalIgnoreCase).Select(g => g.First())
            .Where(p => !s.MemberSerials.Contains(p.Serial, StringComparer.OrdinalIgnoreCase))
            .ToList());
        if (known.Count == 0)
        {
            return;
        }

        using var sending = await group.EnterSendingAsync(cancellationToken).ConfigureAwait(false);
        foreach (var package in known.Where(p => !group.Read(s => s.HasPackage(p.Serial))))
        {
            await committer.PublishPackageAsync(group, package, cancellationToken).ConfigureAwait(false);
        }

        var commit = group.Read(s => !s.IsMember || known.All(p => s.MemberSerials.Contains(p.Serial, StringComparer.OrdinalIgnoreCase))
            ? default((byte[], ulong)?)
            : s.CreateCommit(CommitReason.Add, s.MemberSerials.Concat(known.Select(p => p.Serial)).ToList()));
        if (commit is var (body, builtOn))
        {
            // Lost to a commit of someone else: the other person joined by themselves meanwhile.
            await committer.CommitAsync(group, body, builtOn, cancellationToken, catchUpOnStale: false).ConfigureAwait(false);
        }
    }

    // This user left (on another device) while we were getting ready: nothing more is sent, and
    // in particular no commit that would keep this device in while removing its siblings.
    public static void ThrowIfDeparted(RoomGroup group)
    {
        if (group.Read(s => s.HasDeparted))
        {
            throw Departed(group.Room);
        }
    }

    public static OpenChatException Departed(string room) => new(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
        $"You left '{UserNamePolicy.Printable(room)}' on another device; join it again to send there.");

    // found: null to join (or found a room nobody founded yet, as an open room); true or false
    // when this device was asked to create the room, private or open: then only its own
    // founding commit will do.
    private async Task EnsureMemberAsync(RoomGroup group, ulong knownSequence, CancellationToken cancellationToken, bool? found = null)
    {
        var room = group.Room;
        await committer.WaitProcessedAsync(group, knownSequence, cancellationToken).ConfigureAwait(false);
        using var sending = await group.EnterSendingAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            // A device whose certificate was renewed takes its old place first (a renewal), and
            // joins as a newcomer only if it has no place to take.
            if (await renewal.RenewOnceAsync(group, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var (isMember, hasPackage, epoch) = group.Read(s => (s.IsMember, s.HasPackage(identity.Serial), s.Epoch));
            if (found is not null && epoch != 0)
            {
                // Asked to create the room, this device founds its group or joins nothing: a
                // group founded first by another device (a race, or a server that answered a
                // create for a room that existed) has someone else as its admin, maybe open.
                throw FoundedByOther(room);
            }

            if (isMember)
            {
                return;
            }

            RoomAdmission.ThrowUnlessAdmitted(group, log);
            if (!hasPackage)
            {
                await committer.PublishPackageAsync(group, identity.Current.Package, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var (body, builtOn) = group.Read(s =>
            {
                // Only a room whose server has stored no commit at all is founded here; one
                // whose history this device could not follow is never founded a second time.
                if (s.Epoch == 0 && s.ServerEpoch != 0)
                {
                    throw new OpenChatException(ErrorIds.GroupHistoryUnverified, ErrorKind.PolicyViolation,
                        $"The encrypted group of '{room}' could not be verified from its history on this device, so it cannot be joined. The refused events are in Receive-ChatMessage.");
                }

                // A join changes nothing but adding this device (anything else is refused by the
                // other members); revoked members are removed by the next sender's own commit.
                return s.Epoch == 0 ? s.CreateFoundingCommit(found ?? false) : s.CreateCommit(CommitReason.Join, s.MemberSerials.ToList());
            });

            var result = await committer.CommitAsync(group, body, builtOn, cancellationToken).ConfigureAwait(false);
            if (found is not null)
            {
                // Only this very commit founding the group counts (by its hash), whatever others
                // committed after it: not a founding by another device this one was added to.
                if (result != CommitResult.Applied || group.FoundingCommitHash is not { } founding || !founding.AsSpan().SequenceEqual(Commit.Parse(body).Hash))
                {
                    throw FoundedByOther(room);
                }

                return;
            }

            // Lost to someone else's commit: caught up on it, and tried again.
        }

        throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable, $"Could not join the encrypted group of '{room}': it kept changing. Try again.");
    }

    // Before every message: learn of revocations and departures first (no message may be sent in
    // an epoch that still includes a removed member), then remove them, or update this device's
    // key when due (GroupState.NeedsKeyUpdate: its age, the room's messages, a removal since).
    public async Task PrepareToSendAsync(RoomGroup group, CancellationToken cancellationToken)
    {
        for (var round = 0; round < 5; round++)
        {
            if (!await PrepareOnceAsync(group, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable, $"The encrypted group of '{group.Room}' kept changing; the message was not sent. Try again.");
    }

    // One round: returns true when it committed (or lost a race) and must look again. Who left is
    // known from signed departures in the room itself; the server's member list is not consulted,
    // so a lying server cannot make anyone remove a member.
    private async Task<bool> PrepareOnceAsync(RoomGroup group, CancellationToken cancellationToken)
    {
        await revocations.FetchAsync(cancellationToken).ConfigureAwait(false);
        if (await renewal.RenewOnceAsync(group, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        var commit = group.Read(state =>
        {
            var leaving = state.InvalidMembers.Concat(state.DepartedMembers)
                .Where(s => !string.Equals(s, identity.Serial, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            return leaving.Count > 0 ? state.CreateCommit(CommitReason.Remove, state.MemberSerials.Except(leaving, StringComparer.OrdinalIgnoreCase).ToList())
                : state.NeedsKeyUpdate() ? state.CreateUpdateCommit()
                : default((byte[], ulong)?);
        });
        if (commit is not var (body, builtOn))
        {
            return false;
        }

        if (await committer.CommitAsync(group, body, builtOn, cancellationToken).ConfigureAwait(false) == CommitResult.Refused)
        {
            // Our own commit came back and our own group refused it (a removal of someone not
            // yet expired by the room's clock, when this machine's clock runs ahead): trying
            // again would only repeat it, and spend the commit budget.
            throw new OpenChatException(ErrorIds.CommitRefused, ErrorKind.PolicyViolation,
                $"This device's change of the encryption of '{UserNamePolicy.Printable(group.Room)}' was refused by the room's own rules (is this machine's clock right?); the message was not sent.");
        }

        return true;
    }

    /// <summary>When this device is due its key update in <paramref name="group"/>
    /// (<see cref="GroupState.NeedsKeyUpdate()"/>: its leaf aged, the room's messages, a removal,
    /// a leaf that is still its package key), the update is committed soon, in the background,
    /// rather than only before this device's next send: a device that only reads heals too, and a
    /// removed member's keys stop reaching the room's future even if this device stays silent.
    /// Looked at after each event, on connecting, and every <see cref="KeyUpdateCheckInterval"/>.</summary>
    public void UpdateKeyWhenDue(RoomGroup group)
    {
        if (!group.Read(s => s.NeedsKeyUpdate())
            || (_updateFailedAt.TryGetValue(group.Room, out var failed) && client.Time.GetUtcNow() - failed < BackgroundRetryAfterFailure)
            || !_updating.TryAdd(group.Room, 0))
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32(100, (int)MaxUpdateDelayAfterRemoval.TotalMilliseconds));
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, client.Time, closing).ConfigureAwait(false);
                using var sending = await group.EnterSendingAsync(closing).ConfigureAwait(false);
                if (group.Read(s => s.IsMember && s.NeedsKeyUpdate()))
                {
                    // The same path as before a send: removals first, then the update.
                    await PrepareToSendAsync(group, closing).ConfigureAwait(false);
                    _updateFailedAt.TryRemove(group.Room, out _);
                    KeyUpdateLog.UpdatedInBackground(log, group.Room);
                }
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                // Closing: the next send or connection commits it.
            }
            catch (Exception e)
            {
                // Offline, or the room changed under it: the update is still due before the next send.
                _updateFailedAt[group.Room] = client.Time.GetUtcNow();
                KeyUpdateLog.UpdateFailed(log, e, group.Room, e.GetType().Name);
            }
            finally
            {
                _updating.TryRemove(group.Room, out _);
            }
        });
    }

    /// <summary><see cref="UpdateKeyWhenDue"/> in every room this device holds.</summary>
    public void UpdateKeysWhenDue()
    {
        foreach (var group in rooms.All())
        {
            UpdateKeyWhenDue(group);
        }
    }

    /// <summary>Looks for due key updates every <see cref="KeyUpdateCheckInterval"/> on the client's clock, until closing.</summary>
    public async Task RunKeyUpdateChecksAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(KeyUpdateCheckInterval, client.Time);
            while (await timer.WaitForNextTickAsync(closing).ConfigureAwait(false))
            {
                try
                {
                    UpdateKeysWhenDue();
                }
                catch (Exception e)
                {
                    // One look that failed; the next tick looks again.
                    KeyUpdateLog.CheckFailed(log, e, e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }

    // Direct conversations opened while this device was offline were announced to nobody here:
    // find them in the room list and enter them, so what was sent meanwhile can be read.
    public async Task EnterDirectRoomsAsync(bool onlyNew = false)
    {
        try
        {
            foreach (var room in await client.ListRoomsAsync(closing).ConfigureAwait(false))
            {
                if (room.Kind == RoomKind.Direct && room.Joined && !(onlyNew && client.JoinedRooms.Contains(room.Name)))
                {
                    var group = rooms[room.Name];
                    await client.JoinAsync(room.Name, group.ProcessedThrough + 1, closing).ConfigureAwait(false);
                    await EnterQuietlyAsync(room.Name).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            // Offline or closing: the next connection tries again.
            SecureLog.DirectRoomsNotEntered(log, e.GetType().Name);
        }
    }

    /// <summary>Renews this device's place in every room where it holds one under a previous
    /// certificate: each room is entered, which renews before anything else is sent there. A room
    /// that cannot be renewed now is tried again on the next connection, entry or send.</summary>
    public async Task RenewRoomsAsync()
    {
        foreach (var group in rooms.All().Where(g => g.Read(s => s.NeedsRenewal)))
        {
            try
            {
                await EnterAsync(group.Room, closing).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                RenewalLog.RoomNotRenewed(log, group.Room, e.GetType().Name);
            }
        }
    }

    private static OpenChatException FoundedByOther(string room) => new(ErrorIds.RoomFoundedByOther, ErrorKind.PolicyViolation,
        $"Someone else founded the encryption of '{UserNamePolicy.Printable(room)}' first, so it was not created by you and you did not join it; join it on purpose (Enter-ChatRoom) if you trust its admins.");

    public async Task EnterQuietlyAsync(string room)
    {
        try
        {
            await EnsureMemberAsync(rooms[room], 0, closing).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Retried the next time the user enters or sends to the room.
            SecureLog.RoomNotEntered(log, room, e.GetType().Name);
        }
    }
}
