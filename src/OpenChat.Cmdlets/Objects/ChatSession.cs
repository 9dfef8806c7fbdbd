using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;

namespace OpenChat;

/// <summary>A connection to a chat server as one identity. It reconnects by itself; its events
/// can be watched with Register-ObjectEvent.</summary>
public sealed class ChatSession
{
    private static int _nextId;

    internal ChatSession(ChatClient client)
    {
        Client = client;
        Id = Interlocked.Increment(ref _nextId);
    }

    internal ChatClient Client { get; }

    public int Id { get; }

    public string UserName => Client.UserName;

    public string Server => Client.Server;

    public string Identity => Client.Profile.Name;

    public ChatClientState State => Client.State;

    public string[] Rooms => [.. Client.JoinedRooms.Order(StringComparer.Ordinal)];

    /// <summary>Messages sent but not yet acknowledged by the server.</summary>
    public int PendingMessages => Client.PendingOutgoing;

    public event EventHandler<ChatClientStateChangedEventArgs>? StateChanged
    {
        add => Client.StateChanged += value;
        remove => Client.StateChanged -= value;
    }

    public event EventHandler<Presence>? PresenceChanged
    {
        add => Client.PresenceChanged += value;
        remove => Client.PresenceChanged -= value;
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

    public static ChatSession? Default()
    {
        lock (Gate)
        {
            return Sessions.LastOrDefault(s => s.State != ChatClientState.Closed);
        }
    }
}
