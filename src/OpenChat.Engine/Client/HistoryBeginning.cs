namespace OpenChat.Engine.Client;

/// <summary>Where this device's readable history of a room starts: its first stored record, and
/// whether the room holds earlier messages this device cannot read (it joined after they were
/// sent, or kept no history before this version).</summary>
public sealed record HistoryBeginning(ulong FirstSequence, DateTimeOffset FirstTime, bool EarlierExist);
