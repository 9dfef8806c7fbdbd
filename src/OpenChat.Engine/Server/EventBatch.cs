using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>
/// Room events bound for the same receivers, packed as <see cref="FrameBatch"/> packs frames,
/// with each chunk starting with an <see cref="EventSource"/> for every room, sender and
/// certificate its events name, numbered from 0 within the chunk. A chunk is one item of a
/// receiver's queue and is written whole, so it never depends on a source sent before it: chunks
/// of history, of live events and of another node can follow each other in any order.
/// </summary>
/// <param name="chunkBytes">Where a chunk stops; a test sets it high to reach the handle limit,
/// which 64 KiB chunks never do (4,096 of the smallest sources and events take about 176 KB).</param>
internal sealed class EventBatch(int chunkBytes = FrameBatch.ChunkBytes)
{
    private readonly List<RoomEvent> _events = [];

    public int Count => _events.Count;

    public void Add(RoomEvent e) => _events.Add(e);

    /// <summary>The events in order, in chunks of at most the chunk size (64 KiB unless set;
    /// one event too large for that with its source is a chunk of its own).</summary>
    public List<byte[]> Chunks()
    {
        var chunks = new List<byte[]>();
        var sources = new List<byte[]>();
        var frames = new List<byte[]>();
        var handles = new Dictionary<(string Room, string Sender, string Serial), uint>();
        var size = 0;
        foreach (var e in _events)
        {
            var key = (e.Room, e.Sender, e.SenderSerial);
            var known = handles.TryGetValue(key, out var handle);
            byte[]? source = null;
            if (!known)
            {
                if (handles.Count == EventSource.MaxHandles)
                {
                    Close();
                }

                handle = (uint)handles.Count;
                source = new EventSource(handle, e.Room, e.Sender, e.SenderSerial).ToFrame();
            }

            var frame = CompactEvent.Of(handle, e).ToFrame();
            var adds = frame.Length + (source?.Length ?? 0);
            if (frames.Count > 0 && size + adds > chunkBytes)
            {
                Close();
                // The new chunk has to name this event's source itself, as handle 0.
                handle = 0;
                source = new EventSource(0, e.Room, e.Sender, e.SenderSerial).ToFrame();
                frame = CompactEvent.Of(0, e).ToFrame();
            }

            if (source is not null)
            {
                handles[key] = handle;
                sources.Add(source);
                size += source.Length;
            }

            frames.Add(frame);
            size += frame.Length;
        }

        Close();
        return chunks;

        void Close()
        {
            if (frames.Count == 0)
            {
                return;
            }

            var chunk = new byte[size];
            var used = 0;
            foreach (var f in sources.Concat(frames))
            {
                f.CopyTo(chunk, used);
                used += f.Length;
            }

            chunks.Add(chunk);
            sources.Clear();
            frames.Clear();
            handles.Clear();
            size = 0;
        }
    }
}
