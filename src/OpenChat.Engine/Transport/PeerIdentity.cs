namespace OpenChat.Engine.Transport;

/// <summary>Who is on the other end of a verified client connection, with the uncompressed
/// P-256 point of its certificate key (for checking what the device signs, such as commits).</summary>
public sealed record PeerIdentity(string UserName, string Serial, DateTimeOffset NotAfter, byte[]? PublicPoint = null);
