namespace OpenChat.Engine.Crypto;

/// <summary>A token, signature or key that does not check out. Deliberately carries no detail
/// an attacker could use as an oracle beyond which check failed.</summary>
public sealed class CryptoException(string message) : Exception(message);
