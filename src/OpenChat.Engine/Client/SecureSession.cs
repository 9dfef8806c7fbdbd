using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Client.History;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// End-to-end encrypted chat over a <see cref="ChatClient"/>: one group per room
/// (<see cref="RoomGroup"/>), fed with every room event in order by a background pump
/// (<see cref="SecurePump"/>); messages are encrypted and signed before they leave, verified and
/// decrypted when they arrive. Group state, pending messages and the device's agreement key
/// persist in the profile (<see cref="SessionStateStore"/>). This type only wires the parts
/// together and is the API the cmdlets and the terminal use.
/// </summary>
// Partial so that forwarding methods may live in their own file (the terminal's room and member lists).
public sealed partial class SecureSession : IAsyncDisposable
{
    public const string StateFile = "e2e.state";

    private readonly ChatClient _client;
    private readonly DeviceIdentity _identity;
    private readonly ContactBook _contacts;
    private readonly CancellationTokenSource _closing = new();
    private readonly RoomGroups _rooms;
    private readonly SecureInbox _inbox;
    private readonly SessionStateStore _state;
    private readonly RevocationTracker _revocations;
    private readonly GroupCommitter _committer;
    private readonly MembershipCoordinator _membership;
    private readonly GroupSender _sender;
    private readonly SecureOutbox _outbox;
    private readonly SecurePump _pump;
    private readonly SessionHistory _history;
    private readonly ILogger _log;
    private readonly ILogger _renewalLog;
    private Task _pumping = Task.CompletedTask;
    private Task _saving = Task.CompletedTask;
    private Task _historyWriting = Task.CompletedTask;

    private SecureSession(ChatClient client, GroupIdentity current, string? previousSerial, byte[] stateKey, SessionStateFile? saved, SessionHistory history,
        ILoggerFactory logs)
    {
        _client = client;
        var identity = new DeviceIdentity(current, previousSerial);
        _identity = identity;
        _history = history;
        _log = logs.CreateLogger<SecureSession>();
        // Every live pinned root, and those a CA rollover adds or drops later.
        var verifier = new MemberVerifier(client.PinnedRoots.Live());
        client.PinnedRoots.Changed += verifier.TrustRoots;
        var closing = _closing.Token;
        var progress = new PumpProgress(closing);
        _contacts = new ContactBook(client.Profile.Path);
        // The client holds each room's read position from here on, as this session saved it with
        // the room's group (a position saved ahead of its group would skip events after a crash).
        client.TakeOverReadPositions(saved?.Rooms.ToDictionary(r => r.Key, r => r.Value.ProcessedThrough, StringComparer.Ordinal)
            ?? new Dictionary<string, ulong>(StringComparer.Ordinal));
        _rooms = new RoomGroups(identity, verifier, client.Time, client, logs, client.Options);
        _state = new SessionStateStore(client, stateKey, logs.CreateLogger<SessionStateStore>());
        _inbox = new SecureInbox(client.MaxUnreadPerRoom, client.MaxUnreadCharsPerRoom, _state.MarkChanged);
        _revocations = new RevocationTracker(client, verifier, _state.MarkChanged, logs.CreateLogger<RevocationTracker>(), closing);
        _committer = new GroupCommitter(client, progress, () => _state.SaveNow(), logs.CreateLogger<GroupCommitter>());
        _renewalLog = logs.CreateLogger<MembershipRenewal>();
        var renewal = new MembershipRenewal(identity, _committer, _revocations, _renewalLog);
        _membership = new MembershipCoordinator(client, identity, verifier, _rooms, _committer, renewal, _revocations, logs.CreateLogger<MembershipCoordinator>(), closing);
        _sender = new GroupSender(client, _rooms, _membership, _committer, progress, _revocations, _state.SaveNow, logs.CreateLogger<GroupSender>());
        _outbox = new SecureOutbox(client, identity, _inbox, _state, _sender, logs.CreateLogger<SecureOutbox>(), closing);
        _pump = new SecurePump(client, identity, _rooms, _inbox, history, _contacts, _revocations, _outbox, _membership, progress, _state,
            contact => ContactChanged?.Invoke(this, contact), logs.CreateLogger<SecurePump>(), closing);
        _state.TakeSnapshotsFrom(Snapshot);
        client.StateChanged += OnClientStateChanged;
        client.CertificateRenewed += OnCertificateRenewed;
        if (saved is not null)
        {
            _rooms.Restore(saved.Rooms);
            RenewFromSaved(previousSerial);

            foreach (var message in saved.Undelivered)
            {
                // Already in the history unless it was kept by a version without one.
                history.Record(message);
                _inbox.Add(message);
            }

            _outbox.Restore(saved.Outbox);
            _revocations.Restore(saved);
        }
    }

    public ChatClient Client => _client;

    public string UserName => _client.UserName;

    public Task<IReadOnlyList<RoomInfo>> ListRoomsAsync(CancellationToken cancellationToken = default) => _client.ListRoomsAsync(cancellationToken);

    public Task<IReadOnlyList<MemberInfo>> ListMembersAsync(string room, CancellationToken cancellationToken = default) =>
        _client.ListMembersAsync(RoomNames.Normalize(room), cancellationToken);

    /// <summary>Raised on a background thread when a contact's keys change.</summary>
    public event EventHandler<ContactRecord>? ContactChanged;

    public static async Task<SecureSession> ConnectAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        var client = await ChatClient.ConnectAsync(profile, password, options, cancellationToken).ConfigureAwait(false);
        try
        {
            var (stateKey, saved, identity, previousSerial) = SessionStateStore.Open(client, options.LoggerFactory.CreateLogger<SessionStateStore>());
            SessionHistory history;
            try
            {
                history = new SessionHistory(client.Profile.Path, HistoryKeys.Of(client),
                    saved?.Rooms.Select(r => (r.Key, r.Value.ProcessedThrough)) ?? [], options.LoggerFactory.CreateLogger<SessionHistory>());
            }
            catch
            {
                identity.Dispose();
                throw;
            }

            SecureSession session;
            try
            {
                session = new SecureSession(client, identity, previousSerial, stateKey, saved, history, options.LoggerFactory);
            }
            catch
            {
                history.Dispose();
                throw;
            }

            session._state.SaveNow();
            session._historyWriting = Task.Run(() => history.RunAsync(session._closing.Token));
            session._pumping = Task.Run(session._pump.RunAsync);
            session._saving = Task.Run(() => session._state.RunAsync(session._revocations, session._closing.Token));
            session._outbox.StartQueuedSenders();
            _ = Task.Run(() => session._membership.EnterDirectRoomsAsync());
            _ = Task.Run(session._membership.RenewRoomsAsync);
            _ = Task.Run(session._membership.RunKeyUpdateChecksAsync);
            session._membership.UpdateKeysWhenDue();
            return session;
        }
        catch (Exception e) when (e is CryptoException or JsonException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new OpenChatException(ErrorIds.ProfileNotFound, ErrorKind.InvalidData,
                $"The end-to-end state in '{profile.Path}' cannot be read ({e.Message}).", e);
        }
        catch
        {
            // Anything else (the history store refused to open a newer or foreign file, or a bug):
            // the error is the caller's to see, and no connection is left open behind a session
            // that never started.
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Joins an existing room and makes this device a member of its encrypted group
    /// (founding the group, or committing its own join, as needed). A room that does not exist is
    /// <see cref="ErrorIds.RoomNotFound"/>, with the nearest existing names in its message.</summary>
    public Task<JoinedRoom> EnterAsync(string room, CancellationToken cancellationToken = default) => _membership.EnterAsync(room, cancellationToken);

    /// <summary>Creates a room on purpose and enters it as its first member; one that exists is
    /// <see cref="ErrorIds.RoomExists"/>.</summary>
    public Task<JoinedRoom> CreateRoomAsync(string room, CancellationToken cancellationToken = default) =>
        _membership.EnterAsync(room, create: true, cancellationToken);

    /// <summary>Enters the room, creating it first if it does not exist.</summary>
    public async Task<JoinedRoom> EnterOrCreateAsync(string room, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _membership.EnterAsync(room, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.RoomNotFound)
        {
            try
            {
                return await _membership.EnterAsync(room, create: true, cancellationToken).ConfigureAwait(false);
            }
            catch (OpenChatException raced) when (raced.ErrorId is ErrorIds.RoomExists or ErrorIds.RoomFoundedByOther)
            {
                // Someone else created it in between: it exists now, which is all that was asked.
                return await _membership.EnterAsync(room, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task<JoinedRoom> OpenDirectAsync(string userName, CancellationToken cancellationToken = default) => _membership.OpenDirectAsync(userName, cancellationToken);

    /// <summary>Queues a message (see <see cref="Queue"/>) and returns its sequence once the
    /// server has it, waiting through reconnects; cancelling the wait leaves it queued.</summary>
    public async Task<ulong> SendAsync(string room, string text, CancellationToken cancellationToken = default) =>
        await Queue(room, text).Delivered.WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Queues a message for a room and returns at once. The message is saved first (in the
    /// session's encrypted state), then sent in order with the room's other queued messages as
    /// soon as the session is connected, through reconnects and restarts, exactly once.
    /// </summary>
    public OutgoingMessage Queue(string room, string text)
    {
        FrameLimits.CheckText(text); // before anything is kept or encrypted, so a refusal costs no ratchet step
        room = RoomNames.Normalize(room);
        if (RoomNames.IsDirect(room))
        {
            _ = _membership.DirectPeer(room); // ours, and well formed
        }
        else
        {
            RoomNames.Validate(room);
        }

        return _outbox.Queue(room, text);
    }

    /// <summary>The direct conversation with <paramref name="userName"/>: opened on the server when
    /// connected; while offline its name alone (it is opened when its first message goes).</summary>
    public async Task<string> DirectRoomAsync(string userName, CancellationToken cancellationToken = default)
    {
        if (_client.State == ChatClientState.Connected)
        {
            try
            {
                return (await OpenDirectAsync(userName, cancellationToken).ConfigureAwait(false)).Name;
            }
            catch (OpenChatException e) when (SecureOutbox.IsTransient(e) && _client.State != ChatClientState.Closed)
            {
                SecureLog.DirectRoomOffline(_log, e.ErrorId);
            }
        }

        _outbox.ThrowIfClosed();
        UserNamePolicy.Validate(userName);
        if (string.Equals(UserNamePolicy.Normalize(userName), UserNamePolicy.Normalize(UserName), StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.UserNameInvalid, ErrorKind.InvalidArgument, "A direct conversation needs another user than yourself.");
        }

        return RoomNames.Direct(UserName, userName);
    }

    /// <summary>
    /// Leaves a room for good: first tells the other members in a signed, encrypted departure (the
    /// only thing that makes them remove this user's devices: the server's member list is not
    /// trusted for that), then ends the membership on the server and forgets the room's keys.
    /// </summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        room = RoomNames.Normalize(room);
        var group = _rooms[room];
        if (group.Read(s => s.IsMember || s.NeedsRenewal))
        {
            if (!_client.JoinedRooms.Contains(room))
            {
                await EnterAsync(room, cancellationToken).ConfigureAwait(false);
            }

            var sequence = await _sender.PublishAsync(group, [], ContentType.Departure, cancellationToken).ConfigureAwait(false);
            await _committer.WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
        }

        await _client.LeaveAsync(room, cancellationToken).ConfigureAwait(false);
        // Only once the departure is stored: a leave that fails (offline) keeps what is queued.
        _outbox.FailQueued(room, new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation,
            $"You left '{UserNamePolicy.Printable(room)}' before the message could be sent."));
        group.Update(s => s.ForgetSecrets());
        _state.SaveNow();
    }

    /// <summary>The next verified message (or refused event) of any entered room, or of the rooms
    /// <paramref name="filter"/> accepts; others stay queued (and saved) for a later call.</summary>
    public async ValueTask<SecureMessage> ReceiveAsync(CancellationToken cancellationToken = default, Func<SecureMessage, bool>? filter = null)
    {
        var message = await _inbox.ReceiveAsync(cancellationToken, filter).ConfigureAwait(false);
        _history.MarkRead(message);
        return message;
    }

    /// <summary>The next waiting message (of the rooms <paramref name="filter"/> accepts), without
    /// blocking. Messages of other rooms are not taken: they stay queued, and saved, for a later
    /// call, Receive-ChatMessage or the next session.</summary>
    public bool TryReceive(out SecureMessage? message, Func<SecureMessage, bool>? filter = null)
    {
        if (!_inbox.TryReceive(out message, filter))
        {
            return false;
        }

        _history.MarkRead(message!);
        return true;
    }

    /// <summary>Unread messages per room: from others (not notices, never this user's own) past the
    /// room's <see cref="LastRead"/>, as the history store counts them (they survive restarts).
    /// Counting takes nothing out of the session.</summary>
    public IReadOnlyDictionary<string, int> UnreadCounts() => _history.UnreadCounts();

    /// <summary>Messages queued and not yet stored by the server, and the encryption's own
    /// publishes (key packages, commits) waiting for its acknowledgement.</summary>
    public int PendingMessages => _outbox.PendingMessages;

    /// <summary>The queued messages not yet stored, in order (of one room, or of all).</summary>
    public IReadOnlyList<OutgoingMessage> Outgoing(string? room = null) => _outbox.Outgoing(room);

    public IReadOnlyList<ContactRecord> Contacts() => _contacts.Others(UserName);

    /// <summary>Marks a contact verified. Give the safety number that was shown to the person:
    /// if the contact's devices changed since (a device the server slipped in while they were
    /// comparing), nothing is confirmed.</summary>
    public ContactRecord ConfirmContact(string userName, string? safetyNumberShown = null) =>
        _contacts.ConfirmShown(UserName, OwnFingerprint, userName, safetyNumberShown);

    /// <summary>The safety number to compare with <paramref name="userName"/>, or null if unseen.</summary>
    public string? SafetyNumber(string userName) => _contacts.SafetyNumberWith(UserName, OwnFingerprint, userName);

    public string OwnFingerprint => ContactBook.DeviceFingerprint(_identity.Current.Certificate);

    /// <summary>Members (user names) of a room's current encrypted group.</summary>
    public IReadOnlyList<string> GroupMembers(string room) => _rooms.Find(RoomNames.Normalize(room))?.Read(s => s.MemberNames) ?? [];

    /// <summary>How far the room's history has been processed, against where it stood at join.</summary>
    public (ulong Processed, ulong Target) CatchUpStatus(string room) => _rooms.Find(RoomNames.Normalize(room))?.CatchUp ?? (0, 0);

    /// <summary>The last sequence of the room this device has processed (for tests and diagnostics).</summary>
    internal ulong ProcessedThrough(string room) => _rooms.Find(room)?.ProcessedThrough ?? 0;

    public ulong GroupEpoch(string room) => _rooms.Find(room)?.Read(s => s.Epoch) ?? 0;

    /// <summary>The hash of the last commit this device applied in the room (for tests: one chain).</summary>
    internal byte[] GroupCommitHash(string room) => _rooms.Find(room)?.Read(s => s.LastCommitHash) ?? [];

    internal void AcceptRevocations(byte[] der) => _revocations.Accept(der);

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        _closing.Cancel();
        _client.CertificateRenewed -= OnCertificateRenewed;
        try
        {
            await Task.WhenAll([_pumping, _saving, _historyWriting, .. _outbox.Senders()]).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The loops end on cancellation; nothing they could throw may stop the clean-up below.
            _log.Failed(e, "secure.dispose");
        }

        // Saved while the client still holds the profile; then the connection and the lock go.
        _state.SaveNow();
        _outbox.AbandonQueued();
        _history.Dispose(); // written and closed while the client still holds the profile
        await _client.DisposeAsync().ConfigureAwait(false);
        _identity.Current.Dispose(); // the keys every identity of this session shares
        _state.Dispose();
    }

    private void OnClientStateChanged(object? sender, ChatClientStateChangedEventArgs e)
    {
        _outbox.OnClientStateChanged(e.State);
        if (e.State == ChatClientState.Connected)
        {
            // A direct conversation opened while this connection was down was announced to
            // nobody here: look for it, as at the session's start.
            _ = Task.Run(() => _membership.EnterDirectRoomsAsync(onlyNew: true));
            // A renewal cut short by the connection going down goes on now.
            _ = Task.Run(_membership.RenewRoomsAsync);
            // An update that failed while the connection was down is due still.
            _membership.UpdateKeysWhenDue();
        }
    }

    private SessionStateFile Snapshot()
    {
        var current = _identity.Current;
        var file = new SessionStateFile
        {
            AgreementKey = current.AgreementKey.ExportPkcs8PrivateKey(),
            Package = current.Package.ToBytes(),
            Rooms = _rooms.Export(),
            Undelivered = _inbox.Snapshot(),
            Outbox = _outbox.Snapshot(),
        };
        _revocations.SaveInto(file);
        return file;
    }
}
