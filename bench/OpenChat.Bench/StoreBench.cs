using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using SQLitePCL;

namespace OpenChat.Bench;

/// <summary>
/// What one group commit costs the message log's thread on its own, with no network and no
/// other load: the server's own <see cref="SqliteMessageStore.AppendBatch"/>, next to the same
/// rows put into the same schema through the raw sqlite3 API (one prepared statement, values
/// bound directly), which is what the store's code costs over SQLite itself. Wall and CPU time
/// and bytes written to disk per commit, the two alternated, with SQLite's durable setting.
/// </summary>
internal static class StoreBench
{
    private const string Room = "bench-room";

    public static Task<int> RunAsync(BenchArgs args)
    {
        var batch = Math.Max(1, args.Int("batch", 50));
        var commits = Math.Max(1, args.Int("commits", 3000));
        var size = args.Int("size", 128);
        var rounds = args.Int("repeat", 2);
        // Active rooms the publishes of a commit are spread over, one after another (a server
        // with many conversations at once). The raw sqlite3 writer keeps one room's sequence,
        // so it runs only with one.
        var rooms = Math.Max(1, args.Int("rooms", 1));
        var folder = Path.Combine(Path.GetTempPath(), "openchat-bench-store-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            Console.WriteLine($"store: group commits of {batch} publishes with {size}-byte bodies spread over {rooms} room(s), {commits:N0} measured per phase after {commits / 5:N0} unmeasured, in {Path.GetTempPath()}");
            for (var round = 1; round <= rounds; round++)
            {
                // Each goes first in every other round, so the JIT's early work is not all on one side.
                foreach (var raw in rooms > 1 ? [false] : round % 2 == 1 ? new[] { false, true } : [true, false])
                {
                    Report($"{(raw ? "raw sqlite3 API" : "openchat store")}, round {round}", Measure(Path.Combine(folder, $"{(raw ? "raw" : "store")}-{round}.db"), batch, commits, size, rooms, raw));
                }
            }

            return Task.FromResult(0);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed record Cost(double WallMs, double CpuMs, double DiskKiB, double ReadUs, int ReadCount);

    private static void Report(string name, Cost c) =>
        Console.WriteLine($"{name,-26} per commit: wall {c.WallMs:0.000} ms, cpu {c.CpuMs:0.000} ms, written to disk {(c.DiskKiB > 0 ? $"{c.DiskKiB:0.0} KiB" : "unknown")}" +
                          (c.ReadCount > 0 ? $"; one room's history read back: {c.ReadUs:0.00} µs per message ({c.ReadCount:N0} messages, pages of 500)" : ""));

    private static Cost Measure(string path, int batch, int commits, int size, int rooms, bool raw)
    {
        // The store makes the file, its schema and its pragmas either way, so both phases run
        // on exactly the server's layout.
        using var store = new SqliteMessageStore(path);
        var names = Enumerable.Range(0, rooms).Select(r => rooms == 1 ? Room : $"{Room}-{r:D4}").ToArray();
        foreach (var name in names)
        {
            store.EnsureRoom(name, RoomKind.Room, DateTimeOffset.UtcNow);
        }

        var next = 0;
        using var rawWriter = raw ? new RawWriter(path) : null;
        var body = new byte[size];
        Random.Shared.NextBytes(body);
        var sequence = 0UL;
        void Commit()
        {
            var requests = new List<AppendRequest>(batch);
            for (var i = 0; i < batch; i++)
            {
                requests.Add(new AppendRequest(names[next++ % rooms], Guid.CreateVersion7(), "publisher-0", "0123456789ABCDEF0123456789ABCDEF", EventKind.Chat, 0, DateTimeOffset.UtcNow, body));
            }

            if (rawWriter is null)
            {
                var results = store.AppendBatch(requests);
                if (results.Any(r => r.Outcome != AppendOutcome.Stored))
                {
                    throw new InvalidOperationException("the store refused a new message");
                }
            }
            else
            {
                sequence = rawWriter.Append(requests, sequence);
            }
        }

        for (var i = 0; i < commits / 5; i++)
        {
            Commit();
        }

        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var written = ServerProcess.WriteBytes(Environment.ProcessId);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < commits; i++)
        {
            Commit();
        }

        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        process.Refresh();
        var writtenAfter = ServerProcess.WriteBytes(Environment.ProcessId);
        // What a member catching up costs the server: the first room's whole history, in the
        // pages a history request reads, on the file as the commits left it (rows of the other
        // rooms between its own). Only through the store, so not for the raw writer's rows.
        var (readUs, readCount) = rawWriter is null ? ReadBack(store, names[0]) : (0, 0);
        return new Cost(wall / commits, (process.TotalProcessorTime - cpu).TotalMilliseconds / commits,
            written > 0 && writtenAfter > 0 ? (writtenAfter - written) / 1024.0 / commits : 0, readUs, readCount);
    }

    private static (double MicrosecondsEach, int Count) ReadBack(SqliteMessageStore store, string room)
    {
        var started = Stopwatch.GetTimestamp();
        var count = 0;
        for (var from = 1UL; ;)
        {
            var page = store.Read(room, from, 500);
            if (page.Count == 0)
            {
                break;
            }

            count += page.Count;
            from = page[^1].Sequence + 1;
        }

        return (count > 0 ? Stopwatch.GetElapsedTime(started).TotalMicroseconds / count : 0, count);
    }

    /// <summary>The store's insert and the room's advance as raw sqlite3 calls, in one
    /// transaction per batch on a connection of its own, with the store's pragmas.</summary>
    private sealed class RawWriter : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _advance;

        public RawWriter(string path)
        {
            Batteries_V2.Init();
            var opened = raw.sqlite3_open(path, out _db);
            if (opened != raw.SQLITE_OK)
            {
                _db.Dispose();
                SqliteException.ThrowExceptionForRC(opened, null);
            }

            Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-32768;");
            Check(raw.sqlite3_prepare_v2(_db, """
                INSERT INTO messages(room, seq, message_id, sender, sender_serial, kind, epoch, time, body)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                ON CONFLICT(room, message_id) DO NOTHING
                """, out _insert));
            Check(raw.sqlite3_prepare_v2(_db, "UPDATE rooms SET last_seq = ?1, epoch = ?2 WHERE name = ?3", out _advance));
        }

        public ulong Append(List<AppendRequest> requests, ulong sequence)
        {
            // As Microsoft.Data.Sqlite's transactions begin: the write lock taken at once.
            Exec("BEGIN IMMEDIATE");
            foreach (var r in requests)
            {
                sequence++;
                raw.sqlite3_bind_text(_insert, 1, r.Room);
                raw.sqlite3_bind_int64(_insert, 2, (long)sequence);
                raw.sqlite3_bind_blob(_insert, 3, r.MessageId.ToByteArray(bigEndian: true));
                raw.sqlite3_bind_text(_insert, 4, r.Sender);
                raw.sqlite3_bind_text(_insert, 5, r.SenderSerial);
                raw.sqlite3_bind_int(_insert, 6, (int)r.Kind);
                raw.sqlite3_bind_int64(_insert, 7, (long)r.Epoch);
                raw.sqlite3_bind_int64(_insert, 8, r.Time.ToUnixTimeMilliseconds());
                raw.sqlite3_bind_blob(_insert, 9, r.Body);
                Step(_insert);
            }

            raw.sqlite3_bind_int64(_advance, 1, (long)sequence);
            raw.sqlite3_bind_int64(_advance, 2, 0);
            raw.sqlite3_bind_text(_advance, 3, Room);
            Step(_advance);
            Exec("COMMIT");
            return sequence;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _advance.Dispose();
            _db.Dispose();
        }

        private void Step(sqlite3_stmt statement)
        {
            var rc = raw.sqlite3_step(statement);
            raw.sqlite3_reset(statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }

        private void Exec(string sql) => Check(raw.sqlite3_exec(_db, sql));

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
    }
}
