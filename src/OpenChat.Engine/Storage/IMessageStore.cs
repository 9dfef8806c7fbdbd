using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Storage;

public sealed record StoredRoom(string Name, RoomKind Kind, ulong LastSequence, ulong Epoch, DateTimeOffset CreatedAt);

public sealed record RoomMembership(string Room, string UserName);

/// <summary>A room event to store; the store assigns its sequence.</summary>
public sealed record AppendRequest(string Room, Guid MessageId, string Sender, string SenderSerial, EventKind Kind, ulong Epoch, DateTimeOffset Time, byte[] Body);

public enum AppendOutcome
{
    /// <summary>Stored under a new sequence number.</summary>
    Stored,

    /// <summary>This message id was stored before; <see cref="AppendResult.Event"/> is the original.</summary>
    Duplicate,

    /// <summary>A commit or chat message for an epoch other than the room's current one.</summary>
    StaleEpoch,

    /// <summary>The room does not exist.</summary>
    NoSuchRoom,
}

public sealed record AppendResult(AppendOutcome Outcome, RoomEvent? Event, ulong CurrentEpoch);

/// <summary>
/// The server's durable room log, behind one narrow seam so that PostgreSQL can take SQLite's
/// place. <see cref="AppendBatch"/> is the only write on the hot path: it assigns gap-free
/// per-room sequences, deduplicates by message id and orders commits by epoch, all in one
/// transaction, and returns only once the batch is durable.
/// </summary>
public interface IMessageStore : IDisposable
{
    IReadOnlyList<StoredRoom> LoadRooms();

    IReadOnlyList<RoomMembership> LoadMembers();

    /// <summary>The room as stored now, or null if there is none.</summary>
    StoredRoom? FindRoom(string name);

    /// <summary>The room's members (user names as enrolled) as stored now.</summary>
    IReadOnlyList<string> LoadMembers(string room);

    /// <summary>Creates the room if it does not exist; returns it either way.</summary>
    StoredRoom EnsureRoom(string name, RoomKind kind, DateTimeOffset at);

    void AddMember(string room, string userName);

    void RemoveMember(string room, string userName);

    IReadOnlyList<AppendResult> AppendBatch(IReadOnlyList<AppendRequest> batch);

    /// <summary>Events of a room from <paramref name="fromSequence"/> on, in order, at most
    /// <paramref name="max"/>, and no more once their bodies reach <paramref name="maxBytes"/>
    /// (at least one event is returned when there is one).</summary>
    IReadOnlyList<RoomEvent> Read(string room, ulong fromSequence, int max, long maxBytes = long.MaxValue);

    /// <summary><see cref="Read"/> for a client's history: it does not hold up the caller's
    /// thread, may run beside other reads and the writer, and stops when
    /// <paramref name="cancellationToken"/> is cancelled.</summary>
    Task<IReadOnlyList<RoomEvent>> ReadAsync(string room, ulong fromSequence, int max, long maxBytes, CancellationToken cancellationToken);

    long CountMessages();

    /// <summary>A cheap real query, for a health check: throws when the store cannot answer now.</summary>
    void CheckHealth() => FindRoom("openchat-health-check");
}
