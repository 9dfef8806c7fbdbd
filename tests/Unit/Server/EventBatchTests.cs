using CsCheck;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Server.Cluster;

namespace OpenChat.Tests.Unit.Server;

/// <summary>Events packed for the wire (protocol 7): each chunk names its own sources, so a
/// receiver that reads chunks in any order, each against only its own sources, gets back every
/// event with its room, sender and certificate.</summary>
public sealed class EventBatchTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_000);

    private static RoomEvent Event(string room, string sender, string serial, ulong sequence, int bodyLength = 8) =>
        new(room, sequence, Guid.NewGuid(), sender, serial, EventKind.Chat, 3, At.AddMilliseconds(sequence), new byte[bodyLength]);

    private static List<IMessage> Frames(byte[] chunk) => [.. FrameBatch.Messages(chunk)];

    /// <summary>Every chunk read against a table of its own: what a chunk could not stand on alone fails.</summary>
    private static List<RoomEvent> ReadAlone(IEnumerable<byte[]> chunks) =>
        [.. chunks.SelectMany(chunk =>
        {
            var sources = new EventSources();
            return Frames(chunk).Select(sources.Take).OfType<RoomEvent>().ToList();
        })];

    private static void SameEvents(IReadOnlyList<RoomEvent> expected, IReadOnlyList<RoomEvent> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i] with { Body = [] }, actual[i] with { Body = [] });
            Assert.Equal(expected[i].Body, actual[i].Body);
        }
    }

    [Fact]
    public void Events_of_many_rooms_senders_and_certificates_come_back_from_chunks_read_alone()
    {
        var name = Gen.String["abc"];
        Gen.Select(name, name, Gen.String["0123456789abcdef"], Gen.Int[0, 3000]).Array[1, 200].Sample(items =>
        {
            var events = items.Select((x, i) => Event(x.Item1, x.Item2, x.Item3, (ulong)i + 1, x.Item4)).ToList();
            var batch = new EventBatch();
            events.ForEach(batch.Add);

            var chunks = batch.Chunks();

            SameEvents(events, ReadAlone(chunks));
            Assert.All(chunks, c => Assert.True(c.Length <= FrameBatch.ChunkBytes));
            // Sources come first in a chunk, one per name triple, numbered from 0.
            foreach (var frames in chunks.Select(Frames))
            {
                var sources = frames.TakeWhile(f => f is EventSource).Cast<EventSource>().ToList();
                Assert.Equal(Enumerable.Range(0, sources.Count).Select(i => (uint)i), sources.Select(s => s.Handle));
                Assert.Equal(sources.Count, sources.Select(s => (s.Room, s.Sender, s.SenderSerial)).Distinct().Count());
                Assert.All(frames.Skip(sources.Count), f => Assert.IsType<CompactEvent>(f));
            }
        }, iter: 300);
    }

    [Fact]
    public void A_chunk_full_of_one_senders_events_names_the_sender_once_and_carries_little_per_event()
    {
        var batch = new EventBatch();
        var events = Enumerable.Range(1, 50).Select(i => Event("bench-room", "member-0100", new string('a', 32), (ulong)(1_000_000 + i), 128)).ToList();
        events.ForEach(batch.Add);

        var chunk = Assert.Single(batch.Chunks());

        Assert.Single(Frames(chunk), f => f is EventSource);
        // Per event past its 128-byte body: length prefix, type, handle, sequence (3), id (16),
        // kind, epoch, time (6), body length (2). Protocol 6 carried the names in every event
        // as well: 109 bytes past the body, with the prefix.
        var perEvent = (chunk.Length - (4 + Frames(chunk)[0].ToFrame().Length - 4)) / 50.0 - 128;
        Assert.Equal(35, perEvent);
    }

    [Fact]
    public void A_chunk_starts_over_with_its_own_sources_when_the_previous_one_is_full()
    {
        var batch = new EventBatch();
        var events = Enumerable.Range(1, 40).Select(i => Event("ops", i % 2 == 0 ? "alice" : "bob", "0a", (ulong)i, 4000)).ToList();
        events.ForEach(batch.Add);

        var chunks = batch.Chunks();

        Assert.True(chunks.Count >= 3);
        SameEvents(events, ReadAlone(chunks));
        Assert.All(chunks, c => Assert.Equal(2, Frames(c).Count(f => f is EventSource)));
    }

    [Fact]
    public void Many_senders_are_spread_over_chunks_each_within_the_handle_limit()
    {
        var batch = new EventBatch();
        var events = Enumerable.Range(1, (int)EventSource.MaxHandles + 10).Select(i => Event("r", $"u{i}", "0a", (ulong)i, 0)).ToList();
        events.ForEach(batch.Add);

        var chunks = batch.Chunks();

        Assert.True(chunks.Count >= 2);
        SameEvents(events, ReadAlone(chunks));
        Assert.All(chunks, c => Assert.True(Frames(c).Count(f => f is EventSource) <= EventSource.MaxHandles));
    }

    [Fact]
    public void A_chunk_never_numbers_more_sources_than_a_receiver_keeps()
    {
        // Chunks large enough that only the handle limit can end one.
        var batch = new EventBatch(chunkBytes: int.MaxValue);
        var events = Enumerable.Range(1, (int)EventSource.MaxHandles * 2 + 5).Select(i => Event("r", $"u{i}", "0a", (ulong)i, 0)).ToList();
        events.ForEach(batch.Add);

        var chunks = batch.Chunks();

        Assert.Equal([(int)EventSource.MaxHandles, (int)EventSource.MaxHandles, 5], chunks.Select(c => Frames(c).Count(f => f is EventSource)));
        Assert.Equal(EventSource.MaxHandles - 1, Frames(chunks[0]).OfType<EventSource>().Max(s => s.Handle));
        SameEvents(events, ReadAlone(chunks));
    }

    [Fact]
    public void An_event_too_large_for_a_chunk_travels_alone_with_its_source()
    {
        var batch = new EventBatch();
        var events = new[] { Event("ops", "alice", "0a", 1), Event("ops", "alice", "0a", 2, FrameBatch.ChunkBytes), Event("ops", "alice", "0a", 3) };
        foreach (var e in events)
        {
            batch.Add(e);
        }

        var chunks = batch.Chunks();

        Assert.Equal(3, chunks.Count);
        SameEvents(events, ReadAlone(chunks));
        Assert.IsType<EventSource>(Frames(chunks[1])[0]);
    }

    [Fact]
    public void A_connection_reads_a_handle_as_the_last_source_that_named_it()
    {
        var alice = new EventBatch();
        alice.Add(Event("ops", "alice", "0a", 1));
        var bob = new EventBatch();
        bob.Add(Event("dev", "bob", "0b", 7));
        var sources = new EventSources();

        var read = alice.Chunks().Concat(bob.Chunks()).Concat(alice.Chunks()).SelectMany(Frames).Select(sources.Take).OfType<RoomEvent>().ToList();

        Assert.Equal([("ops", "alice", "0a"), ("dev", "bob", "0b"), ("ops", "alice", "0a")], read.Select(e => (e.Room, e.Sender, e.SenderSerial)));
    }

    [Fact]
    public void An_event_that_names_no_source_is_the_peers_protocol_error()
    {
        var e = CompactEvent.Of(0, Event("ops", "alice", "0a", 1));

        Assert.Throws<ProtocolException>(() => new EventSources().Resolve(e));
        var sources = new EventSources();
        sources.Define(new EventSource(1, "ops", "alice", "0a"));
        Assert.Throws<ProtocolException>(() => sources.Resolve(e));
    }

    [Fact]
    public void An_event_stored_before_1970_goes_out_and_reads_back()
    {
        var batch = new EventBatch();
        var e = Event("ops", "alice", "0a", 1) with { Time = DateTimeOffset.FromUnixTimeMilliseconds(-86_400_000) };
        batch.Add(e);

        SameEvents([e], ReadAlone(batch.Chunks()));
    }

    [Fact]
    public void A_server_cannot_make_a_client_hold_names_without_end()
    {
        var sources = new EventSources();
        var name = new string('x', 4000);
        // Redefining a handle replaces its names: the same handle over and over holds one set.
        for (var i = 0; i < 10_000; i++)
        {
            sources.Define(new EventSource(0, name, name, name));
        }

        var refused = Assert.Throws<ProtocolException>(() =>
        {
            for (uint h = 1; h < EventSource.MaxHandles; h++)
            {
                sources.Define(new EventSource(h, name, name, name));
            }
        });
        Assert.Contains("characters", refused.Message);
    }

    [Fact]
    public void A_handle_past_the_limit_is_refused_when_read()
    {
        var source = new EventSource(EventSource.MaxHandles, "ops", "alice", "0a").ToFrame();
        var e = CompactEvent.Of(EventSource.MaxHandles, Event("ops", "alice", "0a", 1)).ToFrame();

        Assert.Throws<ProtocolException>(() => MessageCodec.Decode(MessageType.EventSource, source.AsSpan(5)));
        Assert.Throws<ProtocolException>(() => MessageCodec.Decode(MessageType.Event, e.AsSpan(5)));
    }

    [Fact]
    public void A_batch_on_the_bus_whose_chunk_leans_on_another_chunks_source_is_refused()
    {
        var first = new EventBatch();
        first.Add(Event("ops", "alice", "0a", 1));
        var leaning = CompactEvent.Of(0, Event("ops", "alice", "0a", 2)).ToFrame();

        BusChunks.VerifyEvents("ops", 1, 1, first.Chunks());
        Assert.Throws<ProtocolException>(() => BusChunks.VerifyEvents("ops", 1, 2, [.. first.Chunks(), leaning]));
        // A source alone, naming another room, does not make its events the room's.
        var elsewhere = new EventBatch();
        elsewhere.Add(Event("dev", "alice", "0a", 1));
        Assert.Throws<ProtocolException>(() => BusChunks.VerifyEvents("ops", 1, 1, elsewhere.Chunks()));
    }
}
