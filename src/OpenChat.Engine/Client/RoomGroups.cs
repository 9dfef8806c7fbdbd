using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>The session's rooms, each made on first use (a room seen in an event, entered, or
/// sent to) and restored from the state file.</summary>
/// <remarks>Each group's key-update schedule comes from <paramref name="options"/>
/// (<see cref="ChatClientOptions.KeyUpdateInterval"/>, <see cref="ChatClientOptions.KeyUpdateAfterMessages"/>).</remarks>
internal sealed class RoomGroups(DeviceIdentity identity, MemberVerifier verifier, TimeProvider time, IReadPositions positions, ILoggerFactory logs,
    ChatClientOptions? options = null)
{
    private readonly ILogger _log = logs.CreateLogger<RoomGroup>();
    private readonly ILogger _groupLog = logs.CreateLogger<GroupState>();

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomGroup> _rooms = new(StringComparer.Ordinal);

    public RoomGroup this[string room] => GetOrAdd(room, out _);

    public RoomGroup GetOrAdd(string room, out bool added)
    {
        lock (_gate)
        {
            added = !_rooms.TryGetValue(room, out var group);
            if (added)
            {
                group = new RoomGroup(Scheduled(new GroupState(room, identity.Current, verifier, time, _groupLog)), positions, _log);
                _rooms[room] = group;
            }

            return group!;
        }
    }

    public RoomGroup? Find(string room)
    {
        lock (_gate)
        {
            return _rooms.GetValueOrDefault(room);
        }
    }

    /// <summary>The rooms of the state file; their positions were handed to the owner before
    /// (<see cref="ChatClient.TakeOverReadPositions"/>).</summary>
    public void Restore(Dictionary<string, SessionStateFile.RoomData> saved)
    {
        lock (_gate)
        {
            foreach (var (room, data) in saved)
            {
                _rooms[room] = new RoomGroup(Scheduled(GroupState.Import(data.Group, identity.Current, verifier, time, _groupLog)), positions, _log);
            }
        }
    }

    public IReadOnlyList<RoomGroup> All()
    {
        lock (_gate)
        {
            return [.. _rooms.Values];
        }
    }

    private GroupState Scheduled(GroupState state)
    {
        if (options is not null)
        {
            state.KeyUpdateInterval = options.KeyUpdateInterval;
            state.KeyUpdateAfterMessages = options.KeyUpdateAfterMessages;
        }

        return state;
    }

    public Dictionary<string, SessionStateFile.RoomData> Export() => All().ToDictionary(g => g.Room, g => g.Export(), StringComparer.Ordinal);
}
