using System.Buffers.Binary;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>
/// Frames bound for the same receivers, packed back to back into a few chunks so that a
/// receiver's queue takes one item per chunk instead of one per frame. Fan-out cost per
/// delivery is then a queue operation per chunk, and the receiver's writer finds a whole
/// commit's worth of events waiting instead of waking for each one.
/// </summary>
internal sealed class FrameBatch
{
    /// <summary>Small enough that one chunk never looks like a slow reader's backlog, large
    /// enough to fill several TLS records.</summary>
    public const int ChunkBytes = 64 * 1024;

    private readonly List<byte[]> _frames = [];

    public int Count => _frames.Count;

    public void Add(byte[] frame) => _frames.Add(frame);

    /// <summary>The frames in order, packed into chunks of at most <see cref="ChunkBytes"/>
    /// (a frame that is larger on its own stays a chunk of its own); a lone frame is not copied.</summary>
    public List<byte[]> Chunks()
    {
        var chunks = new List<byte[]>();
        var start = 0;
        while (start < _frames.Count)
        {
            var end = start;
            var size = 0;
            while (end < _frames.Count && (end == start || size + _frames[end].Length <= ChunkBytes))
            {
                size += _frames[end].Length;
                end++;
            }

            if (end - start == 1)
            {
                chunks.Add(_frames[start]);
            }
            else
            {
                var chunk = new byte[size];
                var used = 0;
                for (var i = start; i < end; i++)
                {
                    _frames[i].CopyTo(chunk, used);
                    used += _frames[i].Length;
                }

                chunks.Add(chunk);
            }

            start = end;
        }

        return chunks;
    }

    /// <summary>The frames of one packed chunk, decoded in order: what a chunk from another node
    /// holds is checked frame by frame, and a chunk cut short or holding a frame longer than
    /// itself is the sender's protocol error.</summary>
    public static IEnumerable<IMessage> Messages(byte[] chunk)
    {
        for (var offset = 0; offset < chunk.Length;)
        {
            if (chunk.Length - offset < FrameLimits.HeaderSize)
            {
                throw new ProtocolException("A packed chunk ends inside a frame header.");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(offset));
            if (length < 1 || length > chunk.Length - offset - 4)
            {
                throw new ProtocolException("A packed chunk holds a frame longer than itself.");
            }

            yield return MessageCodec.Decode((MessageType)chunk[offset + 4], chunk.AsSpan(offset + 5, (int)length - 1));
            offset += 4 + (int)length;
        }
    }
}
