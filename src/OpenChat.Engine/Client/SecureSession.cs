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

/// <summary>A chat message as the application sees it, after verification.</summary>
public sealed record SecureMessage(
    string Room,
    ulong Sequence,
    string Sender,
    string SenderSerial,
    string Text,
    DateTimeOffset Time,
    DateTimeOffset SentAt,
    bool Verified,
    ContactTrust SenderTrust,
    string? Problem,
    ulong Epoch,
    bool OutOfOrder,
    uint MissingBefore)
{
    /// <summary>Sent by this user (from this or another of its devices).</summary>
    public bool IsOwn { get; init; }

    /// <summary>Not a message but a verified change of the room's encrypted membership (someone
    /// joined, was added or removed, keys rotated): shown so that nobody joins unseen.</summary>
    public bool IsNotice { get; init; }

    /// <summary>The id the sender gave the message (the same on every resend); empty for notices.</summary>
    public Guid MessageId { get; init; }
}

/// <summary>
/// End-to-end encrypted chat over a <see cref="ChatClient"/>: one <see cref="GroupState"/> per
/// room, fed with every room event in order by a background pump; messages are encrypted and
/// signed before they leave, verified and decrypted when they arrive. Group state, pending
/// messages and the device's agreement key persist in the profile, encrypted under a key
/// derived from the identity's private key (so they are exactly as protected as that key).
/// </summary>
public sealed partial class SecureSession : IAsyncDisposable
{
    public const string StateFile = "e2e.state";
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);

    private readonly ChatClient _client;
    private readonly GroupIdentity _identity;
    private readonly MemberVerifier _verifier;
    private readonly ContactBook _contacts;
    private readonly byte[] _stateKey;
    private readonly string _statePath;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomGroup> _rooms = new(StringComparer.Ordinal);
    private readonly Channel<SecureMessage> _inbox = Channel.CreateUnbounded<SecureMessage>();
    private readonly List<SecureMessage> _undelivered = [];
    private readonly List<SecureMessage> _held = [];
    private readonly RefusalLimiter _refusals = new();
    // False while revocations from an older state file have no dates (see the pump).
    private bool _datedRevocations = true;
    private readonly CancellationTokenSource _closing = new();
    private Task _pump = Task.CompletedTask;
    private Task _saver = Task.CompletedTask;
    private int _dirty;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SecureSession(ChatClient client, GroupIdentity identity, byte[] stateKey, SessionStateFile? saved)
    {
        _client = client;
        _identity = identity;
        _verifier = new MemberVerifier(client.PinnedCa);
        _contacts = new ContactBook(client.Profile.Path);
        _stateKey = stateKey;
        _statePath = Path.Combine(client.Profile.Path, StateFile);
        client.StateChanged += OnClientStateChanged;
        if (saved is not null)
        {
            foreach (var (room, data) in saved.Rooms)
            {
                _rooms[room] = new RoomGroup(GroupState.Import(data.Group, identity, _verifier, client.Time), data.ProcessedThrough);
            }

            foreach (var message in saved.Undelivered)
            {
                KeepLocked(message);
                _inbox.Writer.TryWrite(message);
            }

            foreach (var queued in saved.Outbox)
            {
                _outgoing.Add(new OutgoingMessage(queued, restored: true));
            }

            _verifier.MarkRevoked(saved.Revoked.Where(s => !saved.RevokedAt.ContainsKey(s)));
            _datedRevocations = saved.Revoked.All(saved.RevokedAt.ContainsKey);
            _verifier.MarkRevoked(saved.RevokedAt.Select(r => new RevokedSerial(r.Key, r.Value)));
            RememberRevokedInProfile([.. saved.Revoked, .. saved.RevokedAt.Keys]);
            if (System.Numerics.BigInteger.TryParse(saved.CrlNumber, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                _crlNumber = number;
            }
        }
    }

    public ChatClient Client => _client;

    public string UserName => _client.UserName;

    /// <summary>Raised on a background thread when a contact's keys change.</summary>
    public event EventHandler<ContactRecord>? ContactChanged;

    public static async Task<SecureSession> ConnectAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var client = await ChatClient.ConnectAsync(profile, password, options, cancellationToken).ConfigureAwait(false);
        try
        {
            var signing = client.Identity.GetECDsaPrivateKey() ?? throw new CryptoException("The identity has no ECDSA private key.");
            var stateKey = Kdf.Hkdf(signing.ExportParameters(true).D!, "OpenChat v1 client state"u8, "e2e"u8, Fernet.KeyLength);
            var statePath = Path.Combine(profile.Path, StateFile);
            SessionStateFile? saved = null;
            ECDiffieHellman agreement;
            if (File.Exists(statePath))
            {
                saved = JsonSerializer.Deserialize(Fernet.Decrypt(stateKey, File.ReadAllText(statePath), DateTimeOffset.UtcNow), SessionJson.Default.SessionStateFile);
                agreement = ECDiffieHellman.Create();
                agreement.ImportPkcs8PrivateKey(saved!.AgreementKey, out _);
            }
            else
            {
                agreement = KeyAgreement.NewKey();
            }

            var identity = saved?.Package is { } packageBytes
                ? new GroupIdentity(client.Identity, signing, agreement, KeyPackage.Parse(packageBytes))
                : new GroupIdentity(client.Identity, signing, agreement, DateTimeOffset.UtcNow);
            var session = new SecureSession(client, identity, stateKey, saved);
            session.SaveNow();
            session._pump = Task.Run(session.PumpAsync);
            session._saver = Task.Run(session.SaveLoopAsync);
            session.StartQueuedSenders();
            _ = Task.Run(() => session.EnterDirectRoomsAsync());
            return session;
        }
        catch (Exception e) when (e is CryptoException or JsonException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new OpenChatException(ErrorIds.ProfileNotFound, ErrorKind.InvalidData,
                $"The end-to-end state in '{profile.Path}' cannot be read ({e.Message}).", e);
        }
    }

    /// <summary>Joins a room and makes this device a member of its encrypted group (creating the
    /// group, or committing its own join, as needed).</summary>
    public async Task<JoinedRoom> EnterAsync(string room, CancellationToken cancellationToken = default)
    {
        var group = Group(room);
        var joined = await _client.JoinAsync(room, group.ProcessedThrough + 1, cancellationToken).ConfigureAwait(false);
        group.CatchUpTarget = joined.LastSequence;
        await EnsureMemberAsync(room, joined.LastSequence, cancellationToken).ConfigureAwait(false);
        return joined;
    }

    public async Task<JoinedRoom> OpenDirectAsync(string userName, CancellationToken cancellationToken = default)
    {
        var joined = await _client.OpenDirectAsync(userName, null, cancellationToken).ConfigureAwait(false);
        var entered = await EnterAsync(joined.Name, cancellationToken).ConfigureAwait(false);
        await AddKnownDevicesAsync(joined.Name, userName, cancellationToken).ConfigureAwait(false);
        return entered;
    }

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

    /// <summary>Queues a message (see <see cref="Queue"/>) and returns its sequence once the
    /// server has it, waiting through reconnects; cancelling the wait leaves it queued.</summary>
    public async Task<ulong> SendAsync(string room, string text, CancellationToken cancellationToken = default) =>
        await Queue(room, text).Delivered.WaitAsync(cancellationToken).ConfigureAwait(false);

    // Encrypts, signs and stores one queued message, at the time it can really be sent: in the
    // room's epoch of now, after the revocations and departures known now were applied.
    private async Task<ulong> DeliverAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
    {
        // Encrypted before (in this run or an earlier one) and waiting in the client's outbox:
        // that envelope goes, with its id; only if the room moved past its epoch is it redone.
        if (_client.Outstanding(outgoing.MessageId) is { } inFlight)
        {
            try
            {
                return await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch)
            {
            }
        }

        var room = outgoing.Room;
        var group = Group(room);
        if (OpenChat.Engine.Server.RoomNames.IsDirect(room) && !_client.JoinedRooms.Contains(room))
        {
            // Queued for a conversation not opened on this device yet (perhaps while offline).
            await OpenDirectAsync(DirectPeer(room), cancellationToken).ConfigureAwait(false);
        }

        // A member who has not entered the room on this connection would not see its own
        // commits and messages come back: enter first (it catches up from where it was).
        if (!group.State.IsMember || !_client.JoinedRooms.Contains(room))
        {
            await EnterAsync(room, cancellationToken).ConfigureAwait(false);
        }

        if (room.StartsWith('@'))
        {
            await WaitForPeerAsync(room, group, cancellationToken).ConfigureAwait(false);
        }

        return await PublishContentAsync(room, group, Encoding.UTF8.GetBytes(outgoing.Text), ContentType.Text, cancellationToken, outgoing).ConfigureAwait(false);
    }

    /// <summary>
    /// Leaves a room for good: first tells the other members in a signed, encrypted departure (the
    /// only thing that makes them remove this user's devices: the server's member list is not
    /// trusted for that), then ends the membership on the server and forgets the room's keys.
    /// </summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        var group = Group(room);
        if (group.State.IsMember)
        {
            if (!_client.JoinedRooms.Contains(room))
            {
                await EnterAsync(room, cancellationToken).ConfigureAwait(false);
            }

            var sequence = await PublishContentAsync(room, group, [], ContentType.Departure, cancellationToken).ConfigureAwait(false);
            await WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
        }

        await _client.LeaveAsync(room, cancellationToken).ConfigureAwait(false);
        // Only once the departure is stored: a leave that fails (offline) keeps what is queued.
        FailQueued(room, new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
            $"You left '{UserNamePolicy.Printable(room)}' before the message could be sent."));
        lock (_gate)
        {
            group.State.ForgetSecrets();
        }

        Interlocked.Exchange(ref _dirty, 1);
        SaveNow();
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

    private async Task<ulong> PublishContentAsync(string room, RoomGroup group, byte[] content, ContentType contentType, CancellationToken cancellationToken,
        OutgoingMessage? queued = null)
    {
        await group.Sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                ThrowIfDeparted(room, group);
                await PrepareToSendAsync(room, group, cancellationToken).ConfigureAwait(false);
                byte[] body;
                ulong epoch;
                lock (_gate)
                {
                    ThrowIfDeparted(room, group);

                    if (contentType != ContentType.Departure && group.State.DepartedMembers.Count > 0)
                    {
                        if (attempt >= 5)
                        {
                            throw new OpenChatException(ErrorIds.StaleEpoch, ErrorKind.Unavailable,
                                $"The encrypted group of '{UserNamePolicy.Printable(room)}' kept changing; the message was not sent. Try again.");
                        }

                        continue; // someone left meanwhile: remove them first
                    }

                    // Seen stored meanwhile (its event came back), or dropped: never encrypted again.
                    if (queued?.State == OutgoingState.Sent)
                    {
                        return queued.Sequence!.Value;
                    }

                    if (queued?.State == OutgoingState.Failed)
                    {
                        throw queued.Error!;
                    }

                    body = group.State.Encrypt(content, contentType, DateTimeOffset.UtcNow);
                    epoch = group.State.ServerEpoch;
                }

                // The ratchet moved: persist before the message leaves, so a crash can never reuse a key.
                if (!SaveNow())
                {
                    throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                        "The session's state could not be saved (disk full or not writable), so the message was not sent.");
                }

                try
                {
                    // A queued message keeps its id through every attempt, so the server stores it once.
                    return await _client.PublishAsync(room, body, EventKind.Chat, epoch, queued?.MessageId, cancellationToken).ConfigureAwait(false);
                }
                catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch && attempt < 5)
                {
                    await WaitForEpochAsync(group, epoch, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            group.Sending.Release();
        }
    }

    /// <summary>The next verified message (or refused event) of any entered room, or of the rooms
    /// <paramref name="filter"/> accepts; others stay queued (and saved) for a later call.</summary>
    public async ValueTask<SecureMessage> ReceiveAsync(CancellationToken cancellationToken = default, Func<SecureMessage, bool>? filter = null)
    {
        while (true)
        {
            lock (_gate)
            {
                var held = _held.FindIndex(m => filter is null || filter(m));
                if (held >= 0)
                {
                    var message = _held[held];
                    _held.RemoveAt(held);
                    DeliveredLocked(message);
                    return message;
                }
            }

            var next = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (SkipDroppedLocked(next))
                {
                    continue;
                }

                if (filter is null || filter(next))
                {
                    DeliveredLocked(next);
                    return next;
                }

                _held.Add(next);
            }
        }
    }

    /// <summary>The next waiting message (of the rooms <paramref name="filter"/> accepts), without
    /// blocking. Messages of other rooms are not taken: they stay queued, and saved, for a later
    /// call, Receive-ChatMessage or the next session.</summary>
    public bool TryReceive(out SecureMessage? message, Func<SecureMessage, bool>? filter = null)
    {
        lock (_gate)
        {
            while (_inbox.Reader.TryRead(out var next))
            {
                if (!SkipDroppedLocked(next))
                {
                    _held.Add(next);
                }
            }

            var index = _held.FindIndex(m => filter is null || filter(m));
            if (index >= 0)
            {
                message = _held[index];
                _held.RemoveAt(index);
                DeliveredLocked(message);
                return true;
            }
        }

        message = null;
        return false;
    }


    public IReadOnlyList<ContactRecord> Contacts() => _contacts.All().Where(c => !string.Equals(c.UserName, UserName, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>Marks a contact verified. Give the safety number that was shown to the person:
    /// if the contact's devices changed since (a device the server slipped in while they were
    /// comparing), nothing is confirmed.</summary>
    public ContactRecord ConfirmContact(string userName, string? safetyNumberShown = null)
    {
        var devices = _contacts.Find(userName)?.Devices.ToList();
        if (safetyNumberShown is not null && devices is not null && !string.Equals(SafetyNumber(userName), safetyNumberShown, StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.SafetyNumberChanged, ErrorKind.PolicyViolation,
                $"The safety number with '{userName}' changed since it was shown; nothing was marked verified. Compare the new one.");
        }

        return _contacts.Confirm(userName, safetyNumberShown is null ? null : devices);
    }

    /// <summary>The safety number to compare with <paramref name="userName"/>, or null if unseen.</summary>
    public string? SafetyNumber(string userName)
    {
        var contact = _contacts.Find(userName);
        if (contact is null)
        {
            return null;
        }

        // Both sides use every device of both users as published in shared rooms.
        var own = (_contacts.Find(UserName)?.Devices ?? []).Append(ContactBook.DeviceFingerprint(_identity.Certificate)).Distinct(StringComparer.Ordinal);
        return ContactBook.SafetyNumber(UserName, own, contact.UserName, contact.Devices);
    }

    public string OwnFingerprint => ContactBook.DeviceFingerprint(_identity.Certificate);

    /// <summary>Members (user names) of a room's current encrypted group.</summary>
    public IReadOnlyList<string> GroupMembers(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var group) ? group.State.MemberNames : [];
        }
    }

    /// <summary>How far the room's history has been processed, against where it stood at join.</summary>
    public (ulong Processed, ulong Target) CatchUpStatus(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var group) ? (group.ProcessedThrough, group.CatchUpTarget) : (0, 0);
        }
    }

    /// <summary>The last sequence of the room this device has processed (for tests and diagnostics).</summary>
    internal ulong ProcessedThrough(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var group) ? group.ProcessedThrough : 0;
        }
    }

    public ulong GroupEpoch(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var group) ? group.State.Epoch : 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        _closing.Cancel();
        try
        {
            await Task.WhenAll([_pump, _saver, .. Senders()]).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Both loops end on cancellation; nothing they could throw may stop the clean-up below.
        }

        // Saved while the client still holds the profile; then the connection and the lock go.
        SaveNow();
        AbandonQueued();
        await _client.DisposeAsync().ConfigureAwait(false);
        _identity.Dispose();
        CryptographicOperations.ZeroMemory(_stateKey);
    }

    private RoomGroup Group(string room)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out var group))
            {
                group = new RoomGroup(new GroupState(room, _identity, _verifier, _client.Time), 0);
                _rooms[room] = group;
            }

            return group;
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

    // Before judging what depends on revocations, the newest list: asked for until it comes (the
    // events wait in order meanwhile), since judging without it could refuse what the others accept.
    private async Task LearnRevocationsAsync()
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                AcceptRevocations(await _client.FetchRevocationsAsync(_closing.Token).ConfigureAwait(false));
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                System.Diagnostics.Trace.TraceWarning($"OpenChat: the revocation list could not be fetched ({e.Message}); asking again in {delay.TotalSeconds:0.##} s.");
            }

            await Task.Delay(delay, _closing.Token).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

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

    // Saves state when it changed, and refreshes revocations now and then so that a device that
    // only reads still refuses messages signed by revoked certificates.
    private async Task SaveLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var ticks = 0;
        try
        {
            await RefreshRevocationsAsync().ConfigureAwait(false);
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                if (Interlocked.Exchange(ref _dirty, 0) != 0)
                {
                    SaveNow();
                }

                if (++ticks % 120 == 0)
                {
                    await RefreshRevocationsAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private System.Numerics.BigInteger _crlNumber = -1;

    // A list older than one already seen (in this session or, since the number is saved with the
    // state, any earlier one) could be a replay that hides a revocation: refused.
    internal void AcceptRevocations(byte[] der)
    {
        var (serials, number) = CrlReader.VerifiedEntries(der, _client.PinnedCa);
        lock (_gate)
        {
            if (number < _crlNumber)
            {
                throw new CryptographicException($"The server sent revocation list {number}, older than {_crlNumber} seen before.");
            }

            _crlNumber = number;
        }

        _verifier.MarkRevoked(serials);
        RememberRevokedInProfile(serials.Select(e => e.Serial));
        Interlocked.Exchange(ref _dirty, 1);
    }

    // The next connection checks the server's certificate against these before it says Hello.
    private void RememberRevokedInProfile(IEnumerable<string> serials)
    {
        try
        {
            _client.Profile.RememberRevoked(serials);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Written again with the next list; the session's own state keeps the serials meanwhile.
            System.Diagnostics.Trace.TraceWarning($"OpenChat: cannot save revoked serials in '{_client.Profile.Path}': {e.Message}");
        }
    }

    private async Task RefreshRevocationsAsync()
    {
        try
        {
            AcceptRevocations(await _client.FetchRevocationsAsync(_closing.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Offline, refused, or a server answering nonsense: tried again later; sending always
            // fetches first. Nothing here may end the loop that saves the session's state.
        }
    }

    private readonly Lock _saveGate = new();

    private bool SaveNow()
    {
        lock (_saveGate)
        {
            return SaveLocked();
        }
    }

    private bool SaveLocked()
    {
        try
        {
            SessionStateFile file;
            lock (_gate)
            {
                file = new SessionStateFile
                {
                    AgreementKey = _identity.AgreementKey.ExportPkcs8PrivateKey(),
                    Package = _identity.Package.ToBytes(),
                    Rooms = _rooms.ToDictionary(r => r.Key, r => new RoomStateData { Group = r.Value.State.Export(), ProcessedThrough = r.Value.ProcessedThrough }),
                    Undelivered = [.. _undelivered],
                    Outbox = [.. _outgoing.Select(o => o.Entry)],
                    CrlNumber = _crlNumber < 0 ? "" : _crlNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Revoked = _verifier.Revocations.Where(r => r.RevokedAt == DateTimeOffset.MinValue).Select(r => r.Serial).ToList(),
                    RevokedAt = _verifier.Revocations.Where(r => r.RevokedAt != DateTimeOffset.MinValue).ToDictionary(r => r.Serial, r => r.RevokedAt, StringComparer.OrdinalIgnoreCase),
                };
            }

            var token = Fernet.Encrypt(_stateKey, JsonSerializer.SerializeToUtf8Bytes(file, SessionJson.Default.SessionStateFile));
            return _client.SaveWhileOwner(() =>
            {
                SecureFile.WriteAllText(_statePath, token, overwrite: true);
                return true;
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried on the next tick; the sending path refuses to send when this fails.
            return false;
        }
    }

    private sealed class RoomGroup(GroupState state, ulong processedThrough)
    {
        public GroupState State { get; } = state;

        public ulong ProcessedThrough { get; set; } = processedThrough;

        public SemaphoreSlim Sending { get; } = new(1, 1);

        public ulong CatchUpTarget { get; set; }
    }

    internal sealed class SessionStateFile
    {
        public byte[] AgreementKey { get; set; } = [];

        public byte[]? Package { get; set; }

        public Dictionary<string, RoomStateData> Rooms { get; set; } = [];

        public List<SecureMessage> Undelivered { get; set; } = [];

        /// <summary>Messages queued and not yet acknowledged, as typed (encrypted when sent).</summary>
        public List<QueuedMessage> Outbox { get; set; } = [];

        /// <summary>The number of the newest revocation list accepted (decimal; empty before any).</summary>
        public string CrlNumber { get; set; } = "";

        /// <summary>Revoked serials whose date is not known (older state files).</summary>
        public List<string> Revoked { get; set; } = [];

        /// <summary>Revoked serials with the date the CA's list gave.</summary>
        public Dictionary<string, DateTimeOffset> RevokedAt { get; set; } = [];
    }

    internal sealed class RoomStateData
    {
        public GroupStateData Group { get; set; } = new();

        public ulong ProcessedThrough { get; set; }
    }

    [JsonSerializable(typeof(SessionStateFile))]
    internal sealed partial class SessionJson : JsonSerializerContext;
}
