namespace OpenChat.Engine.Transport;

/// <summary>Who is on the other end of a verified client connection, with the uncompressed
/// P-256 point of its certificate key (for checking what the device signs, such as commits), and
/// the serial its certificate was renewed from, if the CA recorded one (only such a connection may
/// still publish what the device signed under an earlier certificate).</summary>
public sealed record PeerIdentity(string UserName, string Serial, DateTimeOffset NotAfter, byte[]? PublicPoint = null, string? RenewedFrom = null);
