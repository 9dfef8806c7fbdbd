using System.Collections.Immutable;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>A room as the server holds it in memory: its members (by normalized name), the
/// connections currently subscribed, and the last sequence and epoch the log committed.</summary>
internal sealed class Room(string name, RoomKind kind, ulong lastSequence, ulong epoch)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _members = new(StringComparer.Ordinal);
    private ImmutableArray<ClientConnection> _subscribers = [];

    public string Name { get; } = name;

    public RoomKind Kind { get; } = kind;

    public ulong LastSequence { get; set; } = lastSequence;

    public ulong Epoch { get; set; } = epoch;

    /// <summary>Read without locking by the fan-out: a copy-on-write snapshot.</summary>
    public ImmutableArray<ClientConnection> Subscribers => _subscribers;

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

    public void Subscribe(ClientConnection connection)
    {
        lock (_gate)
        {
            if (!_subscribers.Contains(connection))
            {
                _subscribers = _subscribers.Add(connection);
            }
        }
    }

    public void Unsubscribe(ClientConnection connection)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Remove(connection);
        }
    }
}
