namespace OpenChat.Engine.Protocol;

/// <summary>The peer broke the protocol (bad length, unknown type, truncated field). The
/// connection that raised it is closed; nobody else is affected. Front ends report it as
/// <see cref="ErrorIds.ProtocolViolation"/>; the message says which rule was broken.</summary>
public sealed class ProtocolException(string message) : Exception(message);
