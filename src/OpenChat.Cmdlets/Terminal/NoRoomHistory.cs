using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>A history that holds nothing: what Enter-ChatRoom uses until it is wired to the
/// engine's encrypted history store, so a room opens with only what arrives from the session.</summary>
internal sealed class NoRoomHistory : IRoomHistory
{
    public static NoRoomHistory Instance { get; } = new();

    public IReadOnlyList<SecureMessage> Recent(string room, int count) => [];

    public IReadOnlyList<SecureMessage> Before(string room, ulong beforeSequence, int count) => [];

    public ulong LastRead(string room) => 0;

    public HistoryBeginning? Beginning(string room) => null;
}
