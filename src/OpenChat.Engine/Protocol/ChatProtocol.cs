namespace OpenChat.Engine.Protocol;

public static class ChatProtocol
{
    /// <summary>The protocol version this build speaks (client and server).</summary>
    // 3: CreateRoom (Join no longer creates), the file frames and the File content type.
    public const ushort Version = 3;
}
