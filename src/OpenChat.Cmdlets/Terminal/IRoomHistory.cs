using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// What the chat screen reads of a room's history kept on this device: the recent messages shown
/// on entering it, older ones for scrolling back past them, where the user last read, and where
/// the device's history begins. Messages come newest last, as the screen shows them.
/// </summary>
internal interface IRoomHistory
{
    /// <summary>The newest <paramref name="count"/> messages (and notices) of the room, newest last.</summary>
    IReadOnlyList<SecureMessage> Recent(string room, int count);

    /// <summary>Up to <paramref name="count"/> messages older than <paramref name="beforeSequence"/>, newest last.</summary>
    IReadOnlyList<SecureMessage> Before(string room, ulong beforeSequence, int count);

    /// <summary>The sequence of the last message of the room the user has read (0 for none).</summary>
    ulong LastRead(string room);

    /// <summary>Where the room's history on this device begins, or null when it holds nothing of the room.</summary>
    HistoryBeginning? Beginning(string room);
}
