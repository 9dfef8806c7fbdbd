namespace OpenChat.Engine.Client;

public sealed class PresenceChangedEventArgs(string room, string userName, bool online, DateTimeOffset time) : EventArgs
{
    public string Room { get; } = room;

    public string UserName { get; } = userName;

    public bool Online { get; } = online;

    public DateTimeOffset Time { get; } = time;
}

public sealed class ChatClientStateChangedEventArgs(ChatClientState state, string reason) : EventArgs
{
    public ChatClientState State { get; } = state;

    public string Reason { get; } = reason;
}
