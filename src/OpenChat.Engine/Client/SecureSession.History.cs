namespace OpenChat.Engine.Client;

/// <summary>This device's message history (<see cref="History.SessionHistory"/>, history.db in
/// the profile): what Get-ChatMessage and the terminal's scroll-back read.</summary>
public sealed partial class SecureSession
{
    /// <summary>What <paramref name="query"/> asks for of everything this device has received or
    /// sent (messages, notices, refused events), newest last.</summary>
    /// <exception cref="ArgumentException"><see cref="HistoryQuery.BeforeSequence"/> without a room.</exception>
    public IReadOnlyList<SecureMessage> GetHistory(HistoryQuery query) => _history.Get(query);

    /// <summary>The highest sequence of <paramref name="room"/> the user has read (taken out of the
    /// session with <see cref="ReceiveAsync"/> or <see cref="TryReceive"/>); 0 if none. Kept in
    /// the history store, so it survives restarts.</summary>
    public ulong LastRead(string room) => _history.LastRead(room);

    /// <summary>Where this device's readable history of <paramref name="room"/> begins, and whether
    /// the room has earlier messages this device cannot read; null when nothing is stored for it.</summary>
    public HistoryBeginning? HistoryBeginning(string room) => _history.Beginning(room);

    /// <summary>Writes to the history that failed in this session (for tests and diagnostics).</summary>
    internal int HistoryFailures => _history.Failures;
}
