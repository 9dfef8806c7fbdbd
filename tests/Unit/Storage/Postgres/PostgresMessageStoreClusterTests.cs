using Npgsql;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage.Postgres;

/// <summary>Several store instances on one database, as several nodes use it.</summary>
public class PostgresMessageStoreClusterTests
{
    private static AppendRequest Request(string room, EventKind kind = EventKind.Key, ulong epoch = 0, Guid? id = null) =>
        new(room, id ?? Guid.CreateVersion7(), "alice", "01", kind, epoch, DateTimeOffset.UtcNow, [7]);

    [PostgresFact]
    public async Task Nodes_appending_to_the_same_rooms_at_once_get_every_sequence_exactly_once()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        var nodes = Enumerable.Range(0, 3).Select(_ => new PostgresMessageStore(database)).ToArray();
        try
        {
            nodes[0].EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
            nodes[1].EnsureRoom("dev", RoomKind.Room, DateTimeOffset.UtcNow);
            const int Threads = 2, Batches = 30, PerBatch = 4;
            // Batches name both rooms, in either order: the rows must be locked in one order or two nodes deadlock.
            var sent = await Task.WhenAll(nodes.SelectMany((node, n) => Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
            {
                var ids = new List<Guid>();
                for (var b = 0; b < Batches; b++)
                {
                    var batch = Enumerable.Range(0, PerBatch).Select(i => Request((i + b + t + n) % 2 == 0 ? "ops" : "dev")).ToList();
                    Assert.All(node.AppendBatch(batch), r => Assert.Equal(AppendOutcome.Stored, r.Outcome));
                    ids.AddRange(batch.Select(r => r.MessageId));
                }

                return ids;
            }))));

            var events = nodes[2].Read("ops", 1, 100_000).Concat(nodes[2].Read("dev", 1, 100_000)).ToList();
            foreach (var room in new[] { "ops", "dev" })
            {
                var sequences = events.Where(e => e.Room == room).Select(e => e.Sequence).ToList();
                Assert.Equal(Enumerable.Range(1, sequences.Count).Select(s => (ulong)s), sequences);
                Assert.Equal((ulong)sequences.Count, nodes[0].FindRoom(room)!.LastSequence);
            }

            Assert.Equal(sent.SelectMany(ids => ids).Order(), events.Select(e => e.MessageId).Order());
            Assert.Equal(3 * Threads * Batches * PerBatch, events.Count);
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    [PostgresFact]
    public async Task The_same_message_sent_through_two_nodes_is_stored_once_and_the_other_gets_the_original()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var a = new PostgresMessageStore(database);
        using var b = new PostgresMessageStore(database);
        a.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToArray();

        // Both nodes race with the same ids, one message per batch.
        var results = await Task.WhenAll(new[] { a, b }.Select(node => Task.Run(() =>
            ids.Select(id => node.AppendBatch([Request("ops", id: id)])[0]).ToList())));

        for (var i = 0; i < ids.Length; i++)
        {
            var pair = new[] { results[0][i], results[1][i] };
            Assert.Single(pair, r => r.Outcome == AppendOutcome.Stored);
            var duplicate = Assert.Single(pair, r => r.Outcome == AppendOutcome.Duplicate);
            Assert.Equal(pair.Single(r => r.Outcome == AppendOutcome.Stored).Event!.Sequence, duplicate.Event!.Sequence);
        }

        Assert.Equal(ids.Length, a.CountMessages());
    }

    [PostgresFact]
    public async Task A_commit_on_an_epoch_another_node_has_moved_past_is_refused()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var a = new PostgresMessageStore(database);
        using var b = new PostgresMessageStore(database);
        a.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        Assert.Equal(0UL, b.FindRoom("ops")!.Epoch);

        Assert.Equal(AppendOutcome.Stored, a.AppendBatch([Request("ops", EventKind.Commit, epoch: 0)])[0].Outcome);
        var stale = b.AppendBatch([Request("ops", EventKind.Commit, epoch: 0), Request("ops", EventKind.Chat, epoch: 0)]);

        Assert.All(stale, r => Assert.Equal(new AppendResult(AppendOutcome.StaleEpoch, null, 1), r));
        Assert.Equal(AppendOutcome.Stored, b.AppendBatch([Request("ops", EventKind.Commit, epoch: 1)])[0].Outcome);
        Assert.Equal(2UL, a.FindRoom("ops")!.Epoch);
    }

    [PostgresFact]
    public async Task Racing_commits_on_one_epoch_through_two_nodes_let_exactly_one_through()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var a = new PostgresMessageStore(database);
        using var b = new PostgresMessageStore(database);
        a.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);

        for (ulong epoch = 0; epoch < 20; epoch++)
        {
            var e = epoch;
            var outcomes = await Task.WhenAll(new[] { a, b }.Select(node => Task.Run(() => node.AppendBatch([Request("ops", EventKind.Commit, epoch: e)])[0].Outcome)));
            Assert.Equal([AppendOutcome.Stored, AppendOutcome.StaleEpoch], outcomes.Order());
        }

        Assert.Equal((20UL, 20UL), (a.FindRoom("ops")!.LastSequence, a.FindRoom("ops")!.Epoch));
    }

    [PostgresFact]
    public async Task While_the_database_is_down_calls_fail_as_store_unavailable_and_work_again_once_it_is_back()
    {
        await using var server = await PostgresServer.StartAsync();
        var database = await server.CreateDatabaseAsync();
        using var store = new PostgresMessageStore(database);
        using var files = new PostgresFileStore(database);
        using var nodes = new PostgresNodeRegistry(database);
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        var acknowledged = store.AppendBatch([Request("ops"), Request("ops")]);
        Assert.All(acknowledged, r => Assert.Equal(AppendOutcome.Stored, r.Outcome));

        server.Stop();
        var refused = Assert.Throws<OpenChatException>(() => store.AppendBatch([Request("ops")]));
        Assert.Equal(ErrorIds.StoreUnavailable, refused.ErrorId);
        Assert.Equal(ErrorKind.Unavailable, refused.Kind);
        Assert.Contains("PostgreSQL database", refused.Message, StringComparison.Ordinal);
        Assert.Contains("unreachable", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorIds.StoreUnavailable, (await Assert.ThrowsAsync<OpenChatException>(() => store.ReadAsync("ops", 1, 10, long.MaxValue, CancellationToken.None))).ErrorId);
        Assert.Equal(ErrorIds.StoreUnavailable, Assert.Throws<OpenChatException>(() => files.Find(Guid.NewGuid())).ErrorId);
        Assert.Equal(ErrorIds.StoreUnavailable, Assert.Throws<OpenChatException>(() => nodes.Heartbeat("a", "127.0.0.1:1", DateTimeOffset.UtcNow)).ErrorId);

        await server.RestartAsync();
        var after = Assert.Single(store.AppendBatch([Request("ops")]));
        Assert.Equal(3UL, after.Event!.Sequence);
        Assert.Equal(acknowledged.Select(r => r.Event!.MessageId).Append(after.Event.MessageId), store.Read("ops", 1, 10).Select(e => e.MessageId));
        Assert.Null(files.Find(Guid.NewGuid()));
        nodes.Heartbeat("a", "127.0.0.1:1", DateTimeOffset.UtcNow);
    }

    [PostgresFact]
    public async Task The_first_calls_after_a_database_restart_no_call_saw_work_on_fresh_connections()
    {
        await using var server = await PostgresServer.StartAsync();
        var database = await server.CreateDatabaseAsync();
        using var store = new PostgresMessageStore(database);
        using var files = new PostgresFileStore(database);
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        // Several pooled connections, all idle when the server goes away.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.ReadAsync("ops", 1, 10, long.MaxValue, CancellationToken.None)));
        Assert.Equal(AppendOutcome.Stored, store.AppendBatch([Request("ops")])[0].Outcome);

        await server.RestartAsync();

        Assert.Equal(2UL, store.AppendBatch([Request("ops")])[0].Event!.Sequence);
        Assert.Equal(2, store.Read("ops", 1, 10).Count);
        Assert.Equal(2, (await store.ReadAsync("ops", 1, 10, long.MaxValue, CancellationToken.None)).Count);
        Assert.Null(files.Find(Guid.NewGuid()));
    }

    [PostgresFact]
    public async Task A_history_read_is_not_held_up_by_a_batch_holding_the_rooms_lock()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var store = new PostgresMessageStore(database);
        using var other = new PostgresMessageStore(database);
        store.EnsureRoom("ops", RoomKind.Room, DateTimeOffset.UtcNow);
        store.AppendBatch([Request("ops"), Request("ops")]);

        // Another node's batch, stopped while it holds the room's row.
        await using var writer = new NpgsqlConnection(database);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var lockRoom = new NpgsqlCommand("SELECT last_seq FROM msg_rooms WHERE name = 'ops' FOR UPDATE", writer, transaction))
        {
            await lockRoom.ExecuteScalarAsync();
        }

        var blocked = Task.Run(() => other.AppendBatch([Request("ops")]));
        var read = await store.ReadAsync("ops", 1, 10, long.MaxValue, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1UL, 2UL], read.Select(e => e.Sequence));
        Assert.False(blocked.IsCompleted);
        await transaction.RollbackAsync();
        Assert.Equal(3UL, (await blocked.WaitAsync(TimeSpan.FromSeconds(30)))[0].Event!.Sequence);
    }

    [PostgresFact]
    public void A_store_whose_database_cannot_be_reached_at_start_says_so()
    {
        var unreachable = $"Host=127.0.0.1;Port={EngineProcess.FreePort()};Username=postgres;Password=secret-word;Database=nowhere;Timeout=3";

        var refused = Assert.Throws<OpenChatException>(() => new PostgresMessageStore(unreachable));

        Assert.Equal(ErrorIds.StoreUnavailable, refused.ErrorId);
        Assert.Contains("'nowhere' on 127.0.0.1", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-word", refused.Message, StringComparison.Ordinal);
    }
}
