namespace OpenChat.Engine.Protocol;

/// <summary>Hard bounds on what a peer may send. A frame over <see cref="MaxFrameSize"/> is a
/// protocol violation that closes the connection before a byte of its body is read.</summary>
public static class FrameLimits
{
    /// <summary>Large enough for a commit to a room of 1000 members, small enough that a peer
    /// cannot make the server buffer much.</summary>
    public const int MaxFrameSize = 256 * 1024;

    public const int MaxStringBytes = 4096;

    public const int HeaderSize = 5;
}
