namespace OpenChat.Engine.Server;

public sealed class ConnectionClosedEventArgs(string userName, string serial, string reason) : EventArgs
{
    public string UserName { get; } = userName;

    public string Serial { get; } = serial;

    public string Reason { get; } = reason;
}
