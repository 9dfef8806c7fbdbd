using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Client;

public class RoomCursorTests
{
    private static RoomEvent Event(ulong sequence, int size) =>
        new("ops", sequence, Guid.NewGuid(), "alice", "01", EventKind.Chat, 0, DateTimeOffset.UtcNow, new byte[size]);

    [Fact]
    public void Events_ahead_of_a_gap_are_held_only_up_to_a_byte_budget_and_the_rest_is_asked_for_again()
    {
        var cursor = new RoomCursor("ops", 1);
        const int size = 1024 * 1024;
        for (var sequence = 2UL; sequence <= 41; sequence++)
        {
            Assert.Empty(cursor.Accept(Event(sequence, size)));
        }

        // The gap fills: what was held comes out in order, and the cursor still knows it is behind.
        var ready = cursor.Accept(Event(1, size));
        var held = (int)(RoomCursor.MaxBufferedBytes / size);
        Assert.Equal(Enumerable.Range(1, held + 1).Select(i => (ulong)i), ready.Select(e => e.Sequence));
        Assert.True(cursor.HasGap);
        Assert.Equal((ulong)held + 2, cursor.Next);
    }

    [Fact]
    public void An_event_seen_twice_is_handed_on_once()
    {
        var cursor = new RoomCursor("ops", 1);
        Assert.Empty(cursor.Accept(Event(2, 10)));
        Assert.Empty(cursor.Accept(Event(2, 10)));
        Assert.Equal([1UL, 2UL], cursor.Accept(Event(1, 10)).Select(e => e.Sequence));
        Assert.Empty(cursor.Accept(Event(2, 10)));
    }

    [Fact]
    public void After_a_history_batch_it_asks_again_while_behind_even_when_held_events_took_it_past_the_batch()
    {
        var cursor = new RoomCursor("ops", 10);
        const int size = 250 * 1024;
        cursor.HistoryRequested();
        // Live events 11..100 arrive while the history request is out; only the first 16 MiB are held.
        for (var sequence = 11UL; sequence <= 100; sequence++)
        {
            cursor.Accept(Event(sequence, size));
        }

        // The batch brings 10..25: event 10 releases everything held, well past 25.
        var ready = new List<RoomEvent>();
        for (var sequence = 10UL; sequence <= 25; sequence++)
        {
            ready.AddRange(cursor.Accept(Event(sequence, size)));
        }

        Assert.True(cursor.Next > 26);
        Assert.True(cursor.HistoryEnded(roomLastSequence: 100));

        // Once caught up (or when a batch brought nothing new) it stops asking.
        var caughtUp = new RoomCursor("ops", 101);
        caughtUp.HistoryRequested();
        Assert.False(caughtUp.HistoryEnded(roomLastSequence: 100));
    }
}
