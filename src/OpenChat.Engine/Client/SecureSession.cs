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

    public Task<IReadOnlyList<RoomInfo>> ListRoomsAsync(CancellationToken cancellationToken = default) => _client.ListRoomsAsync(cancellationToken);

    public Task<IReadOnlyList<MemberInfo>> ListMembersAsync(string room, CancellationToken cancellationToken = default) => _client.ListMembersAsync(room, cancellationToken);

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
        if (RoomNames.IsDirect(room) && !_client.JoinedRooms.Contains(room))
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
}
