using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Engine.Client;
using OpenChat.Engine.Diagnostics;

namespace OpenChat;

/// <summary>A connection to a chat server as one identity. It reconnects by itself; its events
/// can be watched with Register-ObjectEvent.</summary>
public sealed class ChatSession
{
    private static int _nextId;

    internal ChatSession(SecureSession secure, DeferredLogger? log = null)
    {
        Secure = secure;
        Log = log ?? new DeferredLogger();
        var client = secure.Client;
        Client = client;
        Id = Interlocked.Increment(ref _nextId);
        // Re-raised with this object as the sender, so event handlers see what the user holds.
        client.StateChanged += (_, e) => Raise(StateChanged, e);
        client.PresenceChanged += (_, e) => Raise(PresenceChanged, e);
        secure.ContactChanged += (_, e) => Raise(ContactChanged, e);
    }

    internal ChatClient Client { get; }

    internal SecureSession Secure { get; }

    /// <summary>What the session's engine logged since a cmdlet last wrote it out.</summary>
    internal DeferredLogger Log { get; }


    public int Id { get; }

    public string UserName => Client.UserName;

    public string Server => Client.Server;

    public string Identity => Client.Profile.Name;

    public ChatClientState State => Client.State;

    public string[] Rooms => [.. Client.JoinedRooms.Order(StringComparer.Ordinal)];

    /// <summary>Messages sent but not yet stored by the server: queued while disconnected (kept,
    /// encrypted, in the profile) or waiting for its acknowledgement.</summary>
    public int PendingMessages => Secure.PendingMessages;

    /// <summary>The messages typed and not yet stored by the server, in order, as Send-ChatMessage
    /// -PassThru returns them (State Pending; WaitingFor names the other person of a direct
    /// message that waits for their device to join).</summary>
    public Cmdlets.Client.SentChatMessage[] Outgoing => [.. Secure.Outgoing().Select(o => new Cmdlets.Client.SentChatMessage(o))];

    /// <summary>Unread messages per room: from others (never your own, nor notices) after what you
    /// last read there; kept in the profile's history, so they survive restarts.</summary>
    public IReadOnlyDictionary<string, int> Unread => Secure.UnreadCounts();

    /// <summary>Raised on a background thread when the connection drops, comes back or closes for good.</summary>
    public event EventHandler<ChatClientStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on a background thread when a member of a joined room comes online or goes away.</summary>
    public event EventHandler<PresenceChangedEventArgs>? PresenceChanged;

    /// <summary>Raised on a background thread when a contact's keys change (new device or certificate).</summary>
    public event EventHandler<ContactRecord>? ContactChanged;

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        try
        {
            handler?.Invoke(this, args);
        }
        catch (Exception e)
        {
            // A handler's failure must not reach the client's background thread; the next
            // cmdlet on this session says it happened.
            Log.Failed(e, "session.event-handler");
        }
    }

    public override string ToString() => $"{UserName}@{Server}";
}

/// <summary>The sessions open in this PowerShell session; the newest is the default.</summary>
internal static class SessionRegistry
{
    private static readonly Lock Gate = new();
    private static readonly List<ChatSession> Sessions = [];

    public static void Add(ChatSession session)
    {
        lock (Gate)
        {
            Sessions.Add(session);
        }
    }

    public static void Remove(ChatSession session)
    {
        lock (Gate)
        {
            Sessions.Remove(session);
        }
    }

    public static List<ChatSession> All()
    {
        lock (Gate)
        {
            return [.. Sessions];
        }
    }

    /// <summary>The newest session, if it is closed for a reason no reconnect can change
    /// (revoked certificate, untrusted or revoked server certificate).</summary>
    public static ChatSession? LastClosedForGood()
    {
        lock (Gate)
        {
            return Sessions.LastOrDefault() is { State: ChatClientState.Closed } last && last.Client.ClosedReason is
                Engine.ErrorIds.CertificateRevoked or Engine.ErrorIds.ServerNotTrusted or Engine.ErrorIds.ServerCertificateRevoked or Engine.ErrorIds.ConnectionRefused
                ? last
                : null;
        }
    }

    public static ChatSession? Default()
    {
        lock (Gate)
        {
            return Sessions.LastOrDefault(s => s.State != ChatClientState.Closed);
        }
    }
}
