using OpenChat.Engine;
using OpenChat.Engine.Diagnostics;
using static OpenChat.Cmdlets.Terminal.ChatScreen;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>The chat's slash commands (/join, /rooms, /who, /msg, ...); any other line is a message.</summary>
internal sealed partial class TerminalChat
{
    // The attachments shown on this screen, oldest first, for /save.
    private readonly List<Engine.Client.SecureMessage> _attachments = [];

    /// <summary>Where /save writes (the PowerShell location the chat was entered from).</summary>
    internal string SaveDirectory { get; init; } = Environment.CurrentDirectory;

    // Returns false to leave the chat.
    private bool Submit(string line)
    {
        try
        {
            if (!line.StartsWith('/'))
            {
                if (_room is null)
                {
                    _screen.Input.Set(line); // kept, to send once a room is open
                    _screen.DrawInput();
                    Notice("You are in no room: /join ROOM enters one (the line is back in the input), /quit returns to PowerShell.");
                    return true;
                }

                // Kept at once (in the session's outbox); it goes as soon as it can.
                ShowPending(_secure.Queue(_room, line));
                return true;
            }

            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            var argument = parts.Length > 1 ? parts[1] : null;
            switch (parts[0].ToLowerInvariant())
            {
                case "/quit" or "/exit":
                    return false;
                case "/help" when string.Equals(argument, "admin", StringComparison.OrdinalIgnoreCase):
                    Notice(RoleHelp);
                    break;
                case "/help":
                    Notice("/join ROOM  /create ROOM [private]  /leave [ROOM]  /rooms  /who  /msg USER TEXT  /verify USER  /save [N]  "
                        + "/add /kick /op /deop USER (/help admin)  /quit   "
                        + "PageUp / PageDown scroll back and forward, End returns to the newest.");
                    Notice("/join enters a room that exists; /create makes a new one (a typo in /join creates nothing).");
                    Notice("Before a name: ✓ you verified this sender's safety number (/verify); · not verified yet; "
                        + "! KEY CHANGED the sender's key changed since you verified it: check with them before trusting it. "
                        + "✗ marks an event that was refused (not shown as a message).");
                    break;
                case "/join" when argument is not null:
                    var joined = Await(JoinExistingAsync(argument));
                    if (joined.Name == _room)
                    {
                        Notice($"Already in {joined.Name}.");
                    }
                    else
                    {
                        OpenRoom(joined.Name, $"Now in {joined.Name}.");
                    }

                    break;
                case "/create" when argument is not null && parts.Length == 3 && !string.Equals(parts[2].Trim(), "private", StringComparison.OrdinalIgnoreCase):
                    // A typo must not make an open room of one meant to be private.
                    Notice($"/create ROOM [private]: '{TerminalText.Neutralise(parts[2].Trim())}' is not 'private'; nothing was created.");
                    break;
                case "/create" when argument is not null:
                    var isPrivate = parts.Length == 3;
                    var created = Await(_secure.CreateRoomAsync(argument, isPrivate, stop));
                    OpenRoom(created.Name, $"Created {(_secure.IsPrivateRoom(created.Name) ? "the private room " : "")}{created.Name}. Now in {created.Name}.");
                    break;
                case "/add" or "/kick" or "/op" or "/deop":
                    RoleCommand(parts);
                    break;
                case "/leave" when (argument ?? _room) is null:
                    Notice("You are in no room. /join ROOM enters one.");
                    break;
                case "/leave":
                    Leave(argument ?? _room!);
                    break;
                case "/rooms":
                    var rooms = Await(_secure.ListRoomsAsync(stop));
                    var unread = _secure.UnreadCounts();
                    Notice("Rooms: " + string.Join("  ", rooms.Select(r =>
                        $"{(r.Name == _room ? "*" : "")}{r.Name}{(r.Name != _room && unread.TryGetValue(r.Name, out var w) && w > 0 ? $" ({w} unread)" : "")}{(r.Joined ? "" : " (not joined)")}")));
                    break;
                case "/who" when _room is null:
                    Notice("You are in no room. /join ROOM enters one.");
                    break;
                case "/who":
                    var members = Await(_secure.ListMembersAsync(_room, stop));
                    var admins = _secure.MemberRoles(_room).Where(r => r.Role == Engine.Group.RoomRole.Admin).Select(r => r.UserName).ToHashSet(StringComparer.OrdinalIgnoreCase);
                    Notice($"In {_room}: " + string.Join("  ", members.Select(m => (admins.Contains(m.UserName) ? "@" : "")
                        + (m.Online ? $"{m.UserName} (online)" : $"{m.UserName} (away{(m.AwaySince is { } since ? " since " + since.ToLocalTime().ToString("HH:mm") : "")})"))));
                    break;
                case "/msg" when parts.Length == 3:
                    var dm = Await(_secure.DirectRoomAsync(parts[1], stop));
                    Notice($"To {parts[1]} in {dm} (/join {dm} to follow it):");
                    ShowPending(_secure.Queue(dm, parts[2]));
                    break;
                case "/verify" when argument is not null:
                    var number = _secure.SafetyNumber(argument);
                    if (number is null)
                    {
                        Notice($"No keys of {argument} seen yet.");
                    }
                    else
                    {
                        // Marked only on a yes: the number is for comparing with the person first.
                        _verifying = (argument, number);
                        Notice($"Safety number with {argument}: {number}. Compare it with {argument} in person (or on a call you trust). "
                            + $"Mark {argument} verified? (y/N)");
                    }

                    break;
                case "/save":
                    Save(argument);
                    break;
                default:
                    Notice($"Unknown command {parts[0]}. /help lists the commands.");
                    break;
            }
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.MessageTooLarge)
        {
            TerminalLog.CommandRefused(log, CommandName(line), e.ErrorId);
            // Nothing is lost: the line goes back to the input, to shorten or clear with Esc.
            _screen.Input.Set(line);
            _screen.DrawInput(); // before the notice, so whoever reads the notice sees the line back
            Notice($"{e.ErrorId}: {e.Message} The line is back in the input: shorten it, or press Esc to clear it.");
        }
        catch (OpenChatException e)
        {
            TerminalLog.CommandRefused(log, CommandName(line), e.ErrorId);
            Notice($"{e.ErrorId}: {e.Message}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false; // Ctrl+C while a command waited
        }
        catch (Exception e)
        {
            // Whatever else a command runs into is that command's failure, never the end of the chat.
            log.Failed(e, "terminal.command");
            Notice($"{e.GetType().Name}: {e.Message}");
        }

        return true;
    }

    // /save [n]: the latest (n = 1) or nth latest attachment of the room, to the current
    // directory, with a progress line that this thread redraws while it waits.
    private void Save(string? argument)
    {
        var n = 1;
        if (argument is not null && (!int.TryParse(argument, out n) || n < 1))
        {
            Notice("/save [N]: N = 1 saves the latest attachment of the room, 2 the one before, and so on.");
            return;
        }

        var shown = _attachments.Where(m => m.Room == _room).ToList();
        if (shown.Count < n)
        {
            Notice(shown.Count == 0 ? $"No attachment in {_room} on this screen yet." : $"Only {shown.Count} attachment(s) in {_room} on this screen.");
            return;
        }

        var message = shown[^n];
        var file = message.Attachment!;
        var label = $"{TerminalText.Neutralise(file.Name)} ({ChatAttachment.FormatSize(file.Size)})";
        var progress = new Files.TransferProgress(0, label, file.Size);
        var line = _screen.Show(new Entry("", $"Saving {label}…", Style: "2"));
        var saving = _secure.SaveFileAsync(message, SaveDirectory, overwrite: false, progress, stop);
        while (!((IAsyncResult)saving).AsyncWaitHandle.WaitOne(200))
        {
            _screen.Replace(line, new Entry("", $"Saving {label}: {progress.Percent}%", Style: "2"));
        }

        var path = Await(saving);
        _screen.Replace(line, new Entry("", $"Saved {label} as {TerminalText.Neutralise(path)}", Style: "2"));
    }

    // A room that does not exist is not made by /join: the notice names the nearest rooms and
    // the command that would create it.
    private async Task<Engine.Client.JoinedRoom> JoinExistingAsync(string room)
    {
        try
        {
            return await _secure.EnterAsync(room, stop).ConfigureAwait(false);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.RoomNotFound)
        {
            throw MissingRoomText.WithCreateHint(e, room, name => $"Create it with /create {name}.");
        }
    }

    // Leaves a room for good; leaving the one on screen opens another the user is in: the one
    // before it, else any other the session has joined, else none (and /join still works).
    private void Leave(string leaving)
    {
        Await(_secure.LeaveAsync(leaving, stop));
        if (leaving != _room)
        {
            Notice($"Left {leaving}.");
            return;
        }

        var rooms = session.Rooms.Where(r => r != leaving).ToList();
        var next = _previous is { } previous && rooms.Contains(previous) ? previous : rooms.OrderBy(r => r.StartsWith('@')).FirstOrDefault();
        _room = null; // gone: not the room to come back to
        if (next is null)
        {
            _screen.Clear();
            Notice($"Left {leaving}. You are in no other room: /join ROOM enters one, /quit returns to PowerShell.");
            return;
        }

        OpenRoom(next, $"Left {leaving}. Now in {next}.");
    }

    private T Await<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private void Await(Task task) => task.GetAwaiter().GetResult();

    // What a log line may name of a typed line: the command, never the text. A line that failed
    // was a message or one of the commands above (an unknown one only gets a notice).
    private static string CommandName(string line) => line.StartsWith('/') ? line.Split(' ', 2)[0].ToLowerInvariant() : "message";
}
