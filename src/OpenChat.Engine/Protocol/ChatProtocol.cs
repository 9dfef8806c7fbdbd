namespace OpenChat.Engine.Protocol;

public static class ChatProtocol
{
    /// <summary>The protocol version this build speaks (client and server).</summary>
    public const ushort Version = 2;
}
