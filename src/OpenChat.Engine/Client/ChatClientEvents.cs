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

/// <summary>This device's certificate was renewed over the live connection: the server has
/// rebound the connection to <see cref="Renewed"/>, so what the device publishes from now on is
/// under the renewed certificate's serial, and the profile already holds it.</summary>
public sealed class CertificateRenewedEventArgs(System.Security.Cryptography.X509Certificates.X509Certificate2 previous,
    System.Security.Cryptography.X509Certificates.X509Certificate2 renewed) : EventArgs
{
    public System.Security.Cryptography.X509Certificates.X509Certificate2 Previous { get; } = previous;

    public System.Security.Cryptography.X509Certificates.X509Certificate2 Renewed { get; } = renewed;
}
