using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>The chat screen's view of the session's encrypted history store on this device.</summary>
internal sealed class SessionRoomHistory(SecureSession session) : IRoomHistory
{
    public IReadOnlyList<SecureMessage> Recent(string room, int count) =>
        session.GetHistory(new HistoryQuery { Room = room, Last = count });

    public IReadOnlyList<SecureMessage> Before(string room, ulong beforeSequence, int count) =>
        session.GetHistory(new HistoryQuery { Room = room, BeforeSequence = beforeSequence, Last = count });

    public ulong LastRead(string room) => session.LastRead(room);

    public HistoryBeginning? Beginning(string room) => session.HistoryBeginning(room);
}
