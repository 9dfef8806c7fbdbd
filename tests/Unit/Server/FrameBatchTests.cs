using OpenChat.Engine.Server;

namespace OpenChat.Tests.Unit.Server;

public class FrameBatchTests
{
    private static byte[] Frame(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    [Fact]
    public void Frames_are_packed_in_order_into_chunks_no_larger_than_the_limit()
    {
        var batch = new FrameBatch();
        var frames = Enumerable.Range(0, 1000).Select(i => Frame(100 + (i % 200), (byte)i)).ToList();
        frames.ForEach(batch.Add);

        var chunks = batch.Chunks();

        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.True(c.Length <= FrameBatch.ChunkBytes));
        Assert.Equal(frames.SelectMany(f => f), chunks.SelectMany(c => c));
        // Packing is greedy: no chunk could have taken the next chunk's first frame.
        var index = 0;
        for (var c = 0; c < chunks.Count - 1; c++)
        {
            var used = 0;
            while (used < chunks[c].Length)
            {
                used += frames[index++].Length;
            }

            Assert.True(used + frames[index].Length > FrameBatch.ChunkBytes);
        }
    }

    [Fact]
    public void A_lone_frame_is_passed_on_without_a_copy()
    {
        var batch = new FrameBatch();
        var frame = Frame(300, 7);
        batch.Add(frame);

        Assert.Same(frame, Assert.Single(batch.Chunks()));
    }

    [Fact]
    public void A_frame_larger_than_a_chunk_travels_alone_between_its_neighbours()
    {
        var batch = new FrameBatch();
        var small1 = Frame(10, 1);
        var large = Frame(FrameBatch.ChunkBytes + 5, 2);
        var small2 = Frame(10, 3);
        batch.Add(small1);
        batch.Add(large);
        batch.Add(small2);

        var chunks = batch.Chunks();

        Assert.Equal(3, chunks.Count);
        Assert.Equal(small1, chunks[0]);
        Assert.Same(large, chunks[1]);
        Assert.Equal(small2, chunks[2]);
    }

    [Fact]
    public void An_empty_batch_has_no_chunks() => Assert.Empty(new FrameBatch().Chunks());
}
