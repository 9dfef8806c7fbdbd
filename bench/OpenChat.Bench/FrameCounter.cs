using System.Buffers.Binary;

namespace OpenChat.Bench;

/// <summary>
/// Reads a stream of length-prefixed frames in large chunks and calls back per frame without
/// copying: the load generator must be cheaper than the server it measures.
/// </summary>
internal static class FrameCounter
{
    public delegate void FrameHandler(ReadOnlySpan<byte> frame);

    public static async Task RunAsync(Stream stream, FrameHandler onFrame, CancellationToken cancellationToken)
    {
        var buffer = new byte[512 * 1024];
        var filled = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                var offset = 0;
                while (filled - offset >= 4)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(offset));
                    if (filled - offset - 4 < length)
                    {
                        break;
                    }

                    onFrame(buffer.AsSpan(offset + 4, length));
                    offset += 4 + length;
                }

                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}
