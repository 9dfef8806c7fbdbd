namespace OpenChat.Engine.Protocol;

/// <summary>The peer broke the protocol (bad length, unknown type, truncated field). The
/// connection that raised it is closed; nobody else is affected.</summary>
public sealed class ProtocolException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
