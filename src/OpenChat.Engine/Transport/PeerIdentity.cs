namespace OpenChat.Engine.Transport;

/// <summary>Who is on the other end of a verified client connection.</summary>
public sealed record PeerIdentity(string UserName, string Serial, DateTimeOffset NotAfter);
