using System.Text;

namespace OpenChat.Engine.Protocol;

/// <summary>Hard bounds on what a peer may send. A frame over <see cref="MaxFrameSize"/> is a
/// protocol violation that closes the connection before a byte of its body is read.</summary>
public static class FrameLimits
{
    /// <summary>Large enough for a commit to a room of 1000 members, small enough that a peer
    /// cannot make the server buffer much.</summary>
    public const int MaxFrameSize = 256 * 1024;

    /// <summary>Names, codes, PEM texts: the <c>str</c> fields. A message's text never travels in
    /// one (its envelope carries the encrypted text as <c>bytes</c>).</summary>
    public const int MaxStringBytes = 4096;

    /// <summary>The most UTF-8 bytes of text one chat message may hold (64 KiB). Encrypted and
    /// signed, with the longest room, user and serial names, its event still fits in
    /// <see cref="MaxFrameSize"/> with room to spare.</summary>
    public const int MaxTextBytes = 64 * 1024;

    public const int HeaderSize = 5;

    /// <summary>Refuses a message text over <see cref="MaxTextBytes"/> before anything is
    /// encrypted or sent, with <see cref="ErrorIds.MessageTooLarge"/> and the limit in the message.</summary>
    public static void CheckText(string text)
    {
        // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 code unit.
        if ((long)text.Length * 3 <= MaxTextBytes)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxTextBytes)
        {
            throw new OpenChatException(ErrorIds.MessageTooLarge, ErrorKind.LimitExceeded,
                $"The message is {bytes:N0} bytes of UTF-8 ({text.Length:N0} characters), over the limit of {MaxTextBytes:N0} bytes (64 KiB) for one message; it was not sent. Split it into several messages.");
        }
    }
}
