using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Server.Cluster;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>What a bus reports to its node, recorded for a test to wait on.</summary>
internal sealed class RecordingBusHost : IRoomEventBusHost
{
    private readonly Lock _gate = new();
    private readonly List<string> _changed = [];
    private readonly List<string> _announced = [];
    private readonly List<string> _revoked = [];

    public IReadOnlyList<string> Changed
    {
        get
        {
            lock (_gate)
            {
                return [.. _changed];
            }
        }
    }

    public IReadOnlyList<string> RevokedSerials
    {
        get
        {
            lock (_gate)
            {
                return [.. _revoked];
            }
        }
    }

    public void RoomChanged(string room, bool announced)
    {
        lock (_gate)
        {
            _changed.Add(room);
            if (announced)
            {
                _announced.Add(room);
            }
        }
    }

    /// <summary>The rooms another node announced as changed (not the periodic rereads).</summary>
    public IReadOnlyList<string> Announced
    {
        get
        {
            lock (_gate)
            {
                return [.. _announced];
            }
        }
    }

    public void Committed(string room, ulong lastSequence, ulong epoch)
    {
    }

    public void Revoked(IReadOnlyList<string> serials)
    {
        lock (_gate)
        {
            _revoked.AddRange(serials);
        }
    }
}

/// <summary>One node as far as the bus sees it: its bus, its own store instance on the shared
/// database file, and its host.</summary>
internal sealed record ClusterNode(string Id, ClusterRoomEventBus Bus, SqliteMessageStore Store, RecordingBusHost Host);

/// <summary>
/// Several "nodes" (buses) over one store: an SQLite file in a temp folder, opened by each node's
/// own store instance (reads see what any instance committed). Commits all go through one writer
/// instance: SqliteMessageStore keeps each room's last sequence in memory, so two instances writing
/// one room would both take the next number; the PostgreSQL store assigns it in the transaction.
/// A commit "on node X" is the writer's batch followed by X's PublishCommitted, as the log does.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly SqliteMessageStore _writer;
    private readonly Lock _commitGate = new();
    private readonly List<ClusterNode> _nodes = [];

    public ClusterNodes()
    {
        Directory.CreateDirectory(_folder.Path);
        _writer = new SqliteMessageStore(DatabasePath);
    }

    public string DatabasePath => _folder.Combine("messages.db");

    public const string ClusterId = "test";

    public static ClusterSubjects Subjects { get; } = new(ClusterId);

    /// <summary>The deployment's bus key in these tests (every node of one ClusterNodes shares it).</summary>
    public static BusAuthenticator Authenticator { get; } = new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public ClusterNode Start(string id, string? natsUrl, ClusterBusOptions? options = null, Microsoft.Extensions.Logging.ILoggerFactory? logs = null)
    {
        var store = new SqliteMessageStore(DatabasePath);
        var bus = new ClusterRoomEventBus(store, natsUrl, ClusterId, id, Authenticator, options ?? Options(), TimeProvider.System, logs ?? NullLoggerFactory.Instance);
        var host = new RecordingBusHost();
        bus.Attach(host);
        var node = new ClusterNode(id, bus, store, host);
        _nodes.Add(node);
        return node;
    }

    public static ClusterBusOptions Options(TimeSpan? safetyPoll = null, TimeSpan? membershipSafety = null) => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(100),
        SafetyPollInterval = safetyPoll ?? TimeSpan.FromMinutes(5),
        MembershipPollInterval = TimeSpan.FromMilliseconds(300),
        MembershipSafetyInterval = membershipSafety ?? TimeSpan.FromMinutes(5),
        ConnectRetryInterval = TimeSpan.FromMilliseconds(200),
    };

    public void CreateRoom(string room) => _writer.EnsureRoom(room, RoomKind.Room, DateTimeOffset.UtcNow);

    /// <summary>The room, nodes a and b on the bus, and bob on node b following it, once node b
    /// is subscribed to the room's subject.</summary>
    public async Task<(ClusterNode A, ClusterNode B, TestChannel Bob)> TwoNodesFollowingAsync(string natsUrl, string room)
    {
        CreateRoom(room);
        var a = Start("a", natsUrl);
        var b = Start("b", natsUrl);
        var bob = new TestChannel("bob", "02");
        b.Bus.Subscribe(room, bob);
        await Eventually(() => a.Bus.IsBusUp && b.Bus.BusSubjects.Contains(Subjects.Room(room)), "node b subscribed");
        return (a, b, bob);
    }

    /// <summary>Commits <paramref name="count"/> chat events to the room and, unless
    /// <paramref name="publish"/> is false (a node that died between commit and publish), has the
    /// node publish them. Returns the sequences.</summary>
    public (ulong First, ulong Last) Commit(ClusterNode node, string room, int count, bool publish = true)
    {
        var batch = Enumerable.Range(0, count)
            .Select(i => new AppendRequest(room, Guid.NewGuid(), "alice", "01", EventKind.Chat, 0, DateTimeOffset.UtcNow, [(byte)i]))
            .ToList();
        IReadOnlyList<AppendResult> results;
        // Only the commit is serialized: nodes publish independently, in any order.
        lock (_commitGate)
        {
            results = _writer.AppendBatch(batch);
        }

        var frames = new EventBatch();
        foreach (var result in results)
        {
            frames.Add(result.Event!);
        }

        var first = results[0].Event!.Sequence;
        var last = results[^1].Event!.Sequence;
        if (publish)
        {
            node.Bus.PublishCommitted(room, first, last, results[^1].CurrentEpoch, frames.Chunks());
        }

        return (first, last);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.Bus.DisposeAsync();
            node.Store.Dispose();
        }

        _writer.Dispose();
        _folder.Dispose();
    }

    /// <summary>Polls until the condition holds, or fails the test after the deadline.</summary>
    public static async Task Eventually(Func<bool> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {seconds} s: {what}");
            }

            await Task.Delay(20);
        }
    }

    public static List<ulong> Sequences(TestChannel channel, string room) =>
        channel.Received.OfType<RoomEvent>().Where(e => e.Room == room).Select(e => e.Sequence).ToList();

    public static List<ulong> Range(ulong first, ulong last) => [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (ulong)i)];
}
