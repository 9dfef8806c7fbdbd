using OpenChat.Engine.Client;
using static OpenChat.Cmdlets.Terminal.ChatScreen;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// Opening a room on the screen: its recent history from the device (<see cref="IRoomHistory"/>),
/// a marker where the unread part begins, and at the top, where the device's history begins, a
/// word on why nothing earlier can be read; older history when PageUp goes past what is held.
/// </summary>
internal sealed partial class TerminalChat
{
    private const int HistoryOnEntry = 200;
    private const int HistoryPage = 200;

    private readonly IRoomHistory _history = history;
    // Sequences of the room on screen (from history or live), so the session's copy of a message
    // already shown from history is not shown again.
    private readonly HashSet<ulong> _shown = [];
    private ulong? _oldest; // the oldest message of the room on screen, for history before it
    private bool _atBeginning; // the start of the room's history on this device is on screen
    private string? _previous; // the room open before this one, to return to after /leave

    // Clears the screen for the room, shows its history, then the notice and what is still
    // queued for it; opens at the unread marker when the unread part is longer than a screen.
    private void OpenRoom(string room, string notice)
    {
        if (_room is not null && _room != room)
        {
            _previous = _room;
        }

        _room = room;
        _screen.Clear();
        _pending.Clear(); // their rows went with the screen; the room's queued lines are shown again below
        _shown.Clear();
        (_oldest, _atBeginning) = (null, false);

        // Read before anything of the session is drained (showing a message marks it read).
        var lastRead = _history.LastRead(room);
        var recent = _history.Recent(room, HistoryOnEntry);
        var beginning = _history.Beginning(room);
        long? marker = null;
        if (recent.Count == 0)
        {
            _atBeginning = true;
            if (beginning is { EarlierExist: true })
            {
                Notice(EarlierNote(room, beginning));
            }
            else if (!_secure.UnreadCounts().TryGetValue(room, out var waiting) || waiting == 0)
            {
                Notice($"No messages in {room} yet.");
            }
        }
        else
        {
            _oldest = recent[0].Sequence;
            foreach (var entry in Beginning(room, recent, HistoryOnEntry, beginning))
            {
                _screen.Show(entry);
            }

            foreach (var message in recent)
            {
                if (marker is null && message.Sequence > lastRead && !message.IsOwn && !message.IsNotice)
                {
                    marker = _screen.Show(UnreadMarker);
                }

                _shown.Add(message.Sequence);
                _screen.Show(Format(message));
                if (message.Attachment is not null)
                {
                    _attachments.Add(message); // for /save
                }
            }
        }

        Notice(notice);
        ShowQueued(room);
        if (marker is { } unread)
        {
            _screen.ScrollTo(unread);
        }
    }

    // For PageUp past the oldest entry held: the room's history before it, with the note on
    // where it begins once that is reached. At most `room` entries.
    private IReadOnlyList<Entry> Older(int room)
    {
        if (_atBeginning || _room is null || _oldest is not { } oldest || room < 2)
        {
            return [];
        }

        var count = Math.Min(HistoryPage, room - 1); // one left for the note on where it begins
        var older = _history.Before(_room, oldest, count);
        var entries = Beginning(_room, older, count, _history.Beginning(_room));
        if (older.Count > 0)
        {
            _oldest = older[0].Sequence;
        }

        var added = older.Where(m => _shown.Add(m.Sequence)).ToList();
        _attachments.InsertRange(0, added.Where(m => m.Attachment is not null)); // older than any held
        entries.AddRange(added.Select(Format));
        return entries;
    }

    // The note for the top of the history when `loaded` (asked for `asked`) reaches its beginning.
    private List<Entry> Beginning(string room, IReadOnlyList<SecureMessage> loaded, int asked, HistoryBeginning? beginning)
    {
        if (loaded.Count == asked && (beginning is null || loaded[0].Sequence > beginning.FirstSequence))
        {
            return []; // more before it
        }

        _atBeginning = true;
        return beginning is { EarlierExist: true } ? [NoticeEntry(EarlierNote(room, beginning))] : [];
    }

    // A room message now on screen: false when it was already shown (from history).
    private bool Track(SecureMessage message)
    {
        if (message.Room != _room || message.Sequence == 0)
        {
            return true;
        }

        if (!_shown.Add(message.Sequence))
        {
            return false;
        }

        _oldest ??= message.Sequence; // the first shown, when the history had nothing: history before it is older
        return true;
    }

    private static string EarlierNote(string room, HistoryBeginning beginning) =>
        $"Earlier messages of {room} were sent before this device joined and cannot be read here: they were end-to-end encrypted "
        + $"for the devices in the room then. This device's history of {room} starts {beginning.FirstTime.ToLocalTime():yyyy-MM-dd HH:mm}.";

    private static Entry UnreadMarker => new("", "──────── unread ────────", Style: "33;1");

    private static Entry NoticeEntry(string text) => new("", text, Style: "2");
}
