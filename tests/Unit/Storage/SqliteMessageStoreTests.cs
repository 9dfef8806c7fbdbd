using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

public class SqliteMessageStoreTests
{
    private static void Fill(SqliteMessageStore store, string room, int count, int size)
    {
        store.EnsureRoom(room, RoomKind.Room, DateTimeOffset.UtcNow);
        store.AppendBatch(Enumerable.Range(0, count)
            .Select(_ => new AppendRequest(room, Guid.CreateVersion7(), "alice", "01", EventKind.Key, 0, DateTimeOffset.UtcNow, new byte[size]))
            .ToList());
    }

    [Fact]
    public void A_history_read_stops_at_its_byte_budget_but_always_returns_something()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteMessageStore(temp.Combine("messages.db"));
        Fill(store, "ops", 20, 1024 * 1024);

        var capped = store.Read("ops", 1, 1000, maxBytes: 4L * 1024 * 1024);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], capped.Select(e => e.Sequence));
        Assert.Single(store.Read("ops", 7, 1000, maxBytes: 1));
        Assert.Equal(20, store.Read("ops", 1, 1000).Count);
    }

    [Fact]
    public void History_reads_see_each_commit_as_soon_as_it_is_made()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteMessageStore(temp.Combine("messages.db"));
        Fill(store, "ops", 3, 10);
        Assert.Equal(3, store.Read("ops", 1, 100).Count);
        Fill(store, "ops", 2, 10);
        Assert.Equal([4UL, 5UL], store.Read("ops", 4, 100).Select(e => e.Sequence));
    }

    [Fact]
    public void A_room_another_writer_created_is_found_with_its_members_and_takes_appends()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteMessageStore(temp.Combine("messages.db"));
        Assert.Null(store.FindRoom("ops"));
        using (var other = new SqliteMessageStore(temp.Combine("messages.db")))
        {
            other.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
            other.AddMember("ops", "Alice");
        }

        Assert.Equal(RoomKind.Room, store.FindRoom("ops")!.Kind);
        Assert.Equal(["Alice"], store.LoadMembers("ops"));
        var result = Assert.Single(store.AppendBatch([new AppendRequest("ops", Guid.CreateVersion7(), "Alice", "01", EventKind.Key, 0, DateTimeOffset.UtcNow, [1])]));
        Assert.Equal(AppendOutcome.Stored, result.Outcome);
    }
}
