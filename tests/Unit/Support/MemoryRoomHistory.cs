using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A room history in memory for the chat screen's tests: messages per room (oldest
/// first), where the user last read, and whether earlier messages exist that this device cannot read.</summary>
internal sealed class MemoryRoomHistory : IRoomHistory
{
    private readonly Dictionary<string, List<SecureMessage>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _lastRead = new(StringComparer.Ordinal);
    private readonly HashSet<string> _earlier = new(StringComparer.Ordinal);

    /// <summary>How often <see cref="Before"/> was asked, to see scrolling reach past what was loaded.</summary>
    public int BeforeCalls { get; private set; }

    public MemoryRoomHistory Add(SecureMessage message)
    {
        if (!_rooms.TryGetValue(message.Room, out var messages))
        {
            _rooms[message.Room] = messages = [];
        }

        messages.RemoveAll(m => m.Sequence == message.Sequence); // one message per sequence, as in a room
        messages.Add(message);
        messages.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return this;
    }

    public MemoryRoomHistory Read(string room, ulong sequence)
    {
        _lastRead[room] = sequence;
        return this;
    }

    public MemoryRoomHistory WithEarlierUnreadable(string room)
    {
        _earlier.Add(room);
        return this;
    }

    /// <summary>A message of <paramref name="sender"/> as the session would have handed it out.</summary>
    public static SecureMessage Message(string room, ulong sequence, string sender, string text) =>
        new(room, sequence, sender, "0a0b", text, DateTimeOffset.Now, DateTimeOffset.Now, true, ContactTrust.Unverified, null, 1, false, 0);

    public IReadOnlyList<SecureMessage> Recent(string room, int count) => [.. Of(room).TakeLast(count)];

    public IReadOnlyList<SecureMessage> Before(string room, ulong beforeSequence, int count)
    {
        BeforeCalls++;
        return [.. Of(room).Where(m => m.Sequence < beforeSequence).TakeLast(count)];
    }

    public ulong LastRead(string room) => _lastRead.GetValueOrDefault(room);

    public HistoryBeginning? Beginning(string room)
    {
        var messages = Of(room);
        return messages.Count == 0
            ? _earlier.Contains(room) ? new HistoryBeginning(0, DateTimeOffset.Now, true) : null
            : new HistoryBeginning(messages[0].Sequence, messages[0].Time, _earlier.Contains(room));
    }

    private List<SecureMessage> Of(string room) => _rooms.GetValueOrDefault(room) ?? [];
}
