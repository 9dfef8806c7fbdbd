using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>A room as this server holds it in memory: a cache of what the store says (its
/// members, by normalized name) and the last sequence and epoch the log committed. Who receives
/// its events live is the event bus's business, not the room's.</summary>
internal sealed class Room(string name, RoomKind kind, ulong lastSequence, ulong epoch)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _members = new(StringComparer.Ordinal);
    private ulong _lastSequence = lastSequence;
    private ulong _epoch = epoch;

    public string Name { get; } = name;

    public RoomKind Kind { get; } = kind;

    public ulong LastSequence
    {
        get => Volatile.Read(ref _lastSequence);
        set => Volatile.Write(ref _lastSequence, value);
    }

    public ulong Epoch
    {
        get => Volatile.Read(ref _epoch);
        set => Volatile.Write(ref _epoch, value);
    }

    public bool IsMember(string normalizedUser)
    {
        lock (_gate)
        {
            return _members.ContainsKey(normalizedUser);
        }
    }

    public IReadOnlyList<string> Members()
    {
        lock (_gate)
        {
            return _members.Values.ToList();
        }
    }

    public int MemberCount
    {
        get
        {
            lock (_gate)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>Returns true if the user was not a member before.</summary>
    public bool AddMember(string userName)
    {
        lock (_gate)
        {
            return _members.TryAdd(userName.ToLowerInvariant(), userName);
        }
    }

    public bool RemoveMember(string userName)
    {
        lock (_gate)
        {
            return _members.Remove(userName.ToLowerInvariant());
        }
    }

    /// <summary>Takes the store's word for the members and for how far the room has come (a
    /// sequence or epoch is never moved back: the log may have committed past what was read).</summary>
    public void Reload(IEnumerable<string> members, ulong lastSequence, ulong epoch)
    {
        lock (_gate)
        {
            _members.Clear();
            foreach (var member in members)
            {
                _members.TryAdd(member.ToLowerInvariant(), member);
            }
        }

        Advance(lastSequence, epoch);
    }

    /// <summary>The room is at least at <paramref name="lastSequence"/> now; a report older than
    /// what is cached (another node's later batch arrived first) changes nothing.</summary>
    public void Advance(ulong lastSequence, ulong epoch)
    {
        lock (_gate)
        {
            if (lastSequence > LastSequence)
            {
                LastSequence = lastSequence;
                Epoch = epoch;
            }
        }
    }
}
