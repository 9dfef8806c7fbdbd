using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>
/// What every <see cref="IMessageStore"/> must answer, run once per implementation by a subclass
/// (<see cref="SqliteMessageStoreTests"/>, <see cref="Postgres.PostgresMessageStoreTests"/>).
/// </summary>
public abstract class MessageStoreContractTests : IDisposable
{
    private readonly List<IDisposable> _opened = [];

    /// <summary>A new empty storage (a file path, a database); <see cref="Open"/> opens a store on it.</summary>
    protected abstract string NewStorage();

    protected abstract IMessageStore OpenStore(string storage);

    protected IMessageStore Open(string storage)
    {
        var store = OpenStore(storage);
        _opened.Add(store);
        return store;
    }

    protected IMessageStore OpenNew() => Open(NewStorage());

    public virtual void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected static AppendRequest Request(string room, EventKind kind = EventKind.Key, ulong epoch = 0, Guid? id = null, int size = 1) =>
        new(room, id ?? Guid.CreateVersion7(), "alice", "01", kind, epoch, DateTimeOffset.UtcNow, new byte[size]);

    private static void Fill(IMessageStore store, string room, int count, int size)
    {
        store.EnsureRoom(room, RoomKind.Room, DateTimeOffset.UtcNow);
        store.AppendBatch(Enumerable.Range(0, count).Select(_ => Request(room, size: size)).ToList());
    }

    [StoreFact]
    public void A_history_read_stops_at_its_byte_budget_but_always_returns_something()
    {
        var store = OpenNew();
        Fill(store, "ops", 20, 1024 * 1024);

        var capped = store.Read("ops", 1, 1000, maxBytes: 4L * 1024 * 1024);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], capped.Select(e => e.Sequence));
        Assert.Single(store.Read("ops", 7, 1000, maxBytes: 1));
        Assert.Equal(20, store.Read("ops", 1, 1000).Count);
    }

    [StoreFact]
    public void History_reads_see_each_commit_as_soon_as_it_is_made()
    {
        var store = OpenNew();
        Fill(store, "ops", 3, 10);
        Assert.Equal(3, store.Read("ops", 1, 100).Count);
        Fill(store, "ops", 2, 10);
        Assert.Equal([4UL, 5UL], store.Read("ops", 4, 100).Select(e => e.Sequence));
    }

    [StoreFact]
    public void A_room_another_writer_created_is_found_with_its_members_and_takes_appends()
    {
        var storage = NewStorage();
        var store = Open(storage);
        Assert.Null(store.FindRoom("ops"));
        using (var other = OpenStore(storage))
        {
            other.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
            other.AddMember("ops", "Alice");
        }

        Assert.Equal(RoomKind.Room, store.FindRoom("ops")!.Kind);
        Assert.Equal(["Alice"], store.LoadMembers("ops"));
        var result = Assert.Single(store.AppendBatch([Request("ops")]));
        Assert.Equal(AppendOutcome.Stored, result.Outcome);
    }

    [StoreFact]
    public void Sequences_are_per_room_and_an_event_reads_back_exactly_as_it_was_stored()
    {
        var store = OpenNew();
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        Assert.Equal(new StoredRoom("ops", RoomKind.Room, 0, 0, created), store.EnsureRoom("ops", RoomKind.Room, created));
        store.EnsureRoom("dev", RoomKind.Direct, created);
        var sent = new AppendRequest("dev", Guid.NewGuid(), "bob", "0A", EventKind.Chat, 0, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_001_456), [1, 2, 3]);

        var results = store.AppendBatch([Request("ops"), sent, Request("ops")]);

        Assert.Equal([1UL, 1UL, 2UL], results.Select(r => r.Event!.Sequence));
        var read = Assert.Single(store.Read("dev", 1, 10));
        Assert.Equal((sent.MessageId, sent.Sender, sent.SenderSerial, sent.Kind, sent.Epoch, sent.Time), (read.MessageId, read.Sender, read.SenderSerial, read.Kind, read.Epoch, read.Time));
        Assert.Equal(sent.Body, read.Body);
        Assert.Equal(["dev", "ops"], store.LoadRooms().Select(r => r.Name));
        Assert.Equal(2UL, store.FindRoom("ops")!.LastSequence);
        Assert.Equal(3, store.CountMessages());
    }

    [StoreFact]
    public void A_message_id_stored_before_or_earlier_in_the_batch_is_a_duplicate_of_the_original()
    {
        var store = OpenNew();
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        var id = Guid.NewGuid();
        var first = store.AppendBatch([Request("ops", id: id, size: 5)])[0];

        var again = store.AppendBatch([Request("ops", id: id, size: 9), Request("ops")]);
        var twice = Guid.NewGuid();
        var inBatch = store.AppendBatch([Request("ops", id: twice), Request("ops", id: twice)]);

        Assert.Equal(AppendOutcome.Duplicate, again[0].Outcome);
        Assert.Equal(first.Event!.Sequence, again[0].Event!.Sequence);
        Assert.Equal(5, again[0].Event!.Body.Length);
        Assert.Equal(2UL, again[1].Event!.Sequence);
        Assert.Equal([AppendOutcome.Stored, AppendOutcome.Duplicate], inBatch.Select(r => r.Outcome));
        Assert.Equal(inBatch[0].Event!.Sequence, inBatch[1].Event!.Sequence);
        Assert.Equal(3, store.CountMessages());
    }

    [StoreFact]
    public void A_chat_message_resent_after_the_epoch_moved_on_is_answered_with_the_original_not_refused_as_stale()
    {
        var store = OpenNew();
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        var id = Guid.NewGuid();
        var first = store.AppendBatch([Request("ops", EventKind.Chat, epoch: 0, id: id, size: 3)])[0];
        store.AppendBatch([Request("ops", EventKind.Commit, epoch: 0)]);

        var results = store.AppendBatch([Request("ops", EventKind.Chat, epoch: 0, id: id), Request("ops", EventKind.Chat, epoch: 0), Request("ops", EventKind.Chat, epoch: 1)]);

        Assert.Equal([AppendOutcome.Duplicate, AppendOutcome.StaleEpoch, AppendOutcome.Stored], results.Select(r => r.Outcome));
        Assert.Equal((first.Event!.Sequence, 3), (results[0].Event!.Sequence, results[0].Event!.Body.Length));
        Assert.Equal(3UL, results[2].Event!.Sequence);
        Assert.Equal(3, store.CountMessages());
    }

    [StoreFact]
    public void Many_batches_in_a_row_each_take_the_next_sequences_and_find_duplicates_of_earlier_batches()
    {
        var store = OpenNew();
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        var ids = new List<Guid>();
        for (var b = 0; b < 20; b++)
        {
            var batch = Enumerable.Range(0, 5).Select(_ => Request("ops")).ToList();
            ids.AddRange(batch.Select(r => r.MessageId));
            var stored = store.AppendBatch(batch);
            Assert.Equal(Enumerable.Range(b * 5 + 1, 5).Select(n => (ulong)n), stored.Select(r => r.Event!.Sequence));
        }

        var resent = store.AppendBatch(ids.Where((_, i) => i % 7 == 0).Select(id => Request("ops", id: id)).ToList());
        Assert.All(resent, r => Assert.Equal(AppendOutcome.Duplicate, r.Outcome));
        Assert.Equal(ids.Where((_, i) => i % 7 == 0).Select((_, k) => (ulong)(k * 7 + 1)), resent.Select(r => r.Event!.Sequence));
        Assert.Equal(100, store.CountMessages());
    }

    [StoreFact]
    public void A_commit_moves_the_epoch_and_commits_or_chat_on_another_epoch_are_refused()
    {
        var store = OpenNew();
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);

        var results = store.AppendBatch([
            Request("ops", EventKind.Commit, epoch: 0),
            Request("ops", EventKind.Commit, epoch: 0),
            Request("ops", EventKind.Chat, epoch: 0),
            Request("ops", EventKind.Chat, epoch: 1),
            Request("ops", EventKind.Key, epoch: 7),
        ]);

        Assert.Equal([AppendOutcome.Stored, AppendOutcome.StaleEpoch, AppendOutcome.StaleEpoch, AppendOutcome.Stored, AppendOutcome.Stored],
            results.Select(r => r.Outcome));
        Assert.All(results, r => Assert.Equal(1UL, r.CurrentEpoch));
        Assert.Equal(3UL, results[4].Event!.Sequence);
        Assert.Equal((3UL, 1UL), (store.FindRoom("ops")!.LastSequence, store.FindRoom("ops")!.Epoch));
    }

    [StoreFact]
    public void An_append_to_a_room_that_does_not_exist_is_refused_and_stores_nothing()
    {
        var store = OpenNew();
        var result = Assert.Single(store.AppendBatch([Request("nowhere")]));
        Assert.Equal(new AppendResult(AppendOutcome.NoSuchRoom, null, 0), result);
        Assert.Equal(0, store.CountMessages());
        Assert.Empty(store.AppendBatch([]));
    }

    [StoreFact]
    public void Members_are_matched_without_case_and_kept_as_enrolled()
    {
        var store = OpenNew();
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        var again = store.EnsureRoom("ops", RoomKind.Direct, DateTimeOffset.UtcNow.AddDays(1));
        store.AddMember("ops", "Bob");
        store.AddMember("ops", "alice");
        store.AddMember("ops", "BOB");

        Assert.Equal(RoomKind.Room, again.Kind);
        Assert.Equal(["alice", "Bob"], store.LoadMembers("ops"));
        store.RemoveMember("ops", "bob");
        Assert.Equal([new RoomMembership("ops", "alice")], store.LoadMembers());
    }

    [StoreFact]
    public async Task A_history_read_reads_the_same_events_and_stops_when_cancelled()
    {
        var store = OpenNew();
        Fill(store, "ops", 5, 10);

        var read = await store.ReadAsync("ops", 2, 3, long.MaxValue, CancellationToken.None);
        Assert.Equal([2UL, 3UL, 4UL], read.Select(e => e.Sequence));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ReadAsync("ops", 1, 100, long.MaxValue, cancelled.Token));
    }
}
