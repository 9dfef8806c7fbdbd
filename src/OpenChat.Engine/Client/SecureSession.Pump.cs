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

/// <summary>The receiving loop: every event of every room, in sequence order, through the room's
/// group state, and what each outcome becomes for the user (messages, notices, key changes).</summary>
public sealed partial class SecureSession
{
    private async Task PumpAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var e = await _client.ReceiveAsync(_closing.Token).ConfigureAwait(false);
                var isNew = false;
                lock (_gate)
                {
                    isNew = !_rooms.ContainsKey(e.Room);
                }

                var group = Group(e.Room);
                if (isNew && e.Room.StartsWith('@'))
                {
                    // Someone opened a direct conversation with us: join its group so we can read it.
                    _ = Task.Run(() => EnterQuietlyAsync(e.Room));
                }

                bool learnRevocations;
                lock (_gate)
                {
                    learnRevocations = e.Sequence > group.ProcessedThrough && group.State.RemovalNeedsRevocations(e);
                }

                if (learnRevocations || !_datedRevocations)
                {
                    // Removals are judged against revocations: a member revoked since this device
                    // last asked would otherwise look wrongly removed. And revocations kept
                    // without their dates (by an older version) would refuse every past event of
                    // a revoked member: none is judged until a list has dated them.
                    await LearnRevocationsAsync().ConfigureAwait(false);
                    _datedRevocations = true; // what the list did not date stays revoked for all time
                }

                GroupOutcome outcome;
                lock (_gate)
                {
                    if (e.Sequence <= group.ProcessedThrough)
                    {
                        continue;
                    }

                    try
                    {
                        outcome = group.State.Process(e);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // No event, however hostile, may end this loop: it is refused and skipped.
                        outcome = GroupOutcome.Reject($"the {e.Kind} could not be processed ({ex.GetType().Name})");
                    }

                    group.ProcessedThrough = e.Sequence;
                }

                try
                {
                    Handle(e, outcome);
                    CompleteQueued(e);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One event's side effects (a contact file that cannot be written, anything a
                    // hostile event provokes) never stop the rest.
                }

                Interlocked.Exchange(ref _dirty, 1);
                Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (Exception)
        {
            // The client closed (disposed, revoked); nothing here may reach the host process.
            _inbox.Writer.TryComplete();
        }
    }

    private void Handle(RoomEvent e, GroupOutcome outcome)
    {
        if (e.Kind == EventKind.Key && outcome.Kind == GroupOutcomeKind.Applied)
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
            var before = _contacts.Find(package.UserName)?.Trust;
            var after = _contacts.Observe(package.UserName, package.LoadCertificate(), e.Time);
            var isThisDevice = string.Equals(package.Serial, _identity.Serial, StringComparison.OrdinalIgnoreCase);
            if (!isThisDevice && after == ContactTrust.Changed && before != ContactTrust.Changed && before is not null)
            {
                var contact = _contacts.Find(package.UserName)!;
                try
                {
                    ContactChanged?.Invoke(this, contact);
                }
                catch (Exception)
                {
                }
            }

            return;
        }

        if (e.Kind == EventKind.Commit && outcome.Kind == GroupOutcomeKind.Applied)
        {
            Notice(e, outcome.Notice == "RemovedFromRoom"
                ? "You were removed from this room's encryption: later messages cannot be read here."
                : $"{e.Sender} changed the room's encryption ({outcome.Notice}): members now {string.Join(", ", GroupMembers(e.Room))}.");
            return;
        }

        if (outcome.Kind == GroupOutcomeKind.Message && outcome.Message!.ContentType == ContentType.Departure)
        {
            Notice(e, string.Equals(outcome.Message.Sender, UserName, StringComparison.OrdinalIgnoreCase)
                ? "You left the room; the other members remove your devices from its encryption before their next message."
                : $"{outcome.Message.Sender} left the room; their devices are removed from its encryption before the next message.");
            return;
        }

        SecureMessage? message = outcome.Kind switch
        {
            GroupOutcomeKind.Message => new SecureMessage(e.Room, e.Sequence, outcome.Message!.Sender, outcome.Message.SenderSerial,
                Encoding.UTF8.GetString(outcome.Message.Content), e.Time, outcome.Message.SentAt, true, TrustOf(outcome.Message.Sender, outcome.Message.SenderSerial), null,
                outcome.Message.Epoch, outcome.Message.OutOfOrder, outcome.Message.MissingBefore)
            {
                IsOwn = string.Equals(outcome.Message.Sender, UserName, StringComparison.OrdinalIgnoreCase),
                MessageId = e.MessageId,
            },
            GroupOutcomeKind.Rejected when _refusals.Admit(e.Room, e.Sender, e.Time, $"{e.Kind} refused: {outcome.Reason}") is { } refusal =>
                new SecureMessage(e.Room, e.Sequence, e.Sender, e.SenderSerial, "", e.Time, e.Time, false, TrustOf(e.Sender, e.SenderSerial), refusal, e.Epoch, false, 0) { MessageId = e.MessageId },
            _ => null,
        };

        if (message is not null)
        {
            lock (_gate)
            {
                KeepLocked(message);
            }

            _inbox.Writer.TryWrite(message);
        }
    }

    private void Notice(RoomEvent e, string text)
    {
        var notice = new SecureMessage(e.Room, e.Sequence, e.Sender, e.SenderSerial, text, e.Time, e.Time, true, TrustOf(e.Sender, e.SenderSerial), null, e.Epoch, false, 0)
        {
            IsNotice = true,
            IsOwn = string.Equals(e.Sender, UserName, StringComparison.OrdinalIgnoreCase),
        };
        lock (_gate)
        {
            KeepLocked(notice);
        }

        _inbox.Writer.TryWrite(notice);
    }

    // This device is trusted by definition; everyone else, our own other devices included, is
    // trusted as far as the contact book says.
    private ContactTrust TrustOf(string user, string serial) =>
        string.Equals(serial, _identity.Serial, StringComparison.OrdinalIgnoreCase) ? ContactTrust.Verified : _contacts.Find(user)?.Trust ?? ContactTrust.Unverified;

    private Task WaitProcessedAsync(RoomGroup group, ulong sequence, CancellationToken cancellationToken) =>
        WaitUntilAsync(() => group.ProcessedThrough >= sequence, CatchUpTimeout, ErrorIds.Timeout,
            "Timed out catching up with the room's history.", cancellationToken);

    // A direct conversation is readable by the other person only once their device has joined its
    // group, which happens as soon as they are online; until then, refuse rather than send blind.
    private Task WaitForPeerAsync(string room, RoomGroup group, CancellationToken cancellationToken) =>
        WaitUntilAsync(
            () => group.State.DirectUsers() is { } users && group.State.MemberSerials.Any(s => group.State.Packages.TryGetValue(s, out var p)
                && !string.Equals(p.UserName, UserName, StringComparison.OrdinalIgnoreCase) && users.Contains(p.UserName, StringComparer.OrdinalIgnoreCase)),
            TimeSpan.FromSeconds(10), ErrorIds.PeerNotJoined,
            $"The other person in '{room}' has not joined this conversation's encryption yet (they join automatically when next online). Try again then.",
            cancellationToken);

    private Task WaitForEpochAsync(RoomGroup group, ulong after, CancellationToken cancellationToken) =>
        WaitUntilAsync(() => group.State.ServerEpoch > after, CatchUpTimeout, ErrorIds.Timeout, "Timed out waiting for the room's new epoch.", cancellationToken);

    /// <summary>Waits, woken by the pump after each event, until <paramref name="condition"/> holds
    /// (checked under the state lock), or fails with <paramref name="errorId"/> after <paramref name="timeout"/>.</summary>
    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string errorId, string message, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            lock (_gate)
            {
                if (condition())
                {
                    return;
                }
            }

            try
            {
                await progress.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OpenChatException(errorId, ErrorKind.Unavailable, message);
            }
        }
    }
}
