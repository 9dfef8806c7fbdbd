using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// The interactive chat screen: messages scroll in a region above a status line and an input
/// line (ANSI scroll regions, so it works in any VT terminal and under tmux). Everything runs on
/// the calling thread: it polls the keyboard and the session in turn, so no background thread
/// ever writes to the console. Resizing is picked up on the next tick.
/// </summary>
/// <remarks>
/// Nothing others wrote reaches the terminal as it is: messages, names and refusal reasons go
/// through <see cref="TerminalText"/>, so escape sequences, other controls and bidi overrides
/// are shown, not obeyed. The screen wraps lines itself (the terminal's own wrapping is off) and
/// indents every line of a message after its first under the sender, so only the screen's own
/// lines start at the left edge: no text in a message can pass for a line from someone else.
/// </remarks>
internal sealed class TerminalChat(ChatSession session, string room, CancellationToken stop)
{
    private const string Esc = "\u001b[";

    // Room for a line over the message limit, so that it is refused with a notice rather than cut.
    private const int MaxInput = OpenChat.Engine.Protocol.FrameLimits.MaxTextBytes + 1;
    private readonly SecureSession _secure = session.Secure;
    private readonly StringBuilder _input = new();
    // Our own lines on screen, by message id: pending ones (with their line) until the server has
    // them; the echo of each comes back from the room and is taken, since it was shown.
    private readonly Dictionary<Guid, (OutgoingMessage Message, int Line)> _pending = [];
    private readonly HashSet<Guid> _mine = [];
    private readonly List<Entry> _screen = [];
    private string _room = room;
    private int _width;
    private int _height;
    private string _status = "";

    public void Run()
    {
        Layout();
        Notice($"Joined {_room}. Type a message and press Enter; /help lists commands; /quit leaves.");
        ShowQueued(_room);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (Console.WindowWidth != _width || Console.WindowHeight != _height)
                {
                    Layout();
                }

                var busy = DrainMessages();
                var typed = false;
                while (Console.KeyAvailable)
                {
                    busy = typed = true;
                    if (!HandleKey(Console.ReadKey(intercept: true)))
                    {
                        return;
                    }
                }

                if (typed)
                {
                    DrawInput(); // once per burst of keys: a long paste is not redrawn per character
                }

                DrawStatus();
                if (!busy)
                {
                    stop.WaitHandle.WaitOne(30);
                }
            }
        }
        finally
        {
            Console.Write($"{Esc}?7h{Esc}r{Esc}{_height};1H\n");
        }
    }

    private void Layout()
    {
        _width = Math.Max(20, Console.WindowWidth);
        _height = Math.Max(5, Console.WindowHeight);
        // Autowrap off: the screen wraps lines itself, and a line it measured too short is cut
        // at the edge instead of continuing at the left edge of the next line.
        Console.Write($"{Esc}?7l{Esc}2J{Esc}1;{_height - 2}r");
        var rows = new List<string>();
        for (var i = _screen.Count - 1; i >= 0 && rows.Count < _height - 2; i--)
        {
            rows.InsertRange(0, Rows(_screen[i]));
        }

        // Drawn against the bottom of the region, where Show adds the next row: drawn from the top,
        // the next rows would scroll the oldest ones away while blank rows stayed below them.
        var visible = rows.Skip(Math.Max(0, rows.Count - (_height - 2))).ToList();
        var top = _height - 2 - visible.Count;
        for (var i = 0; i < visible.Count; i++)
        {
            Console.Write($"{Esc}{top + i + 1};1H{Esc}2K{visible[i]}");
        }

        _status = "";
        DrawStatus();
        DrawInput();
    }

    // Takes only what this screen shows: the room on screen, and the echoes of our own lines.
    // Messages of other rooms stay in the session (counted as unread) for when the room is
    // opened, for Receive-ChatMessage, or for the next session.
    private bool DrainMessages()
    {
        var any = false;
        while (_secure.TryReceive(out var message, m => m.Room == _room || _mine.Contains(m.MessageId)))
        {
            any = true;
            if (_mine.Remove(message!.MessageId))
            {
                if (_pending.Remove(message.MessageId, out var shown))
                {
                    Replace(shown.Line, Format(message));
                }

                continue;
            }

            Show(Format(message));
        }

        foreach (var (id, (outgoing, line)) in _pending.ToList())
        {
            if (outgoing.State == OutgoingState.Sent)
            {
                _pending.Remove(id);
                Replace(line, FormatOwn(outgoing, ""));
                any = true;
            }
            else if (outgoing.State == OutgoingState.Failed)
            {
                _pending.Remove(id); // still "mine": the notice of the refusal was shown here
                // The reason is the server's text: it is shown neutralised, like any message text.
                Replace(line, FormatOwn(outgoing, $"  ✗ NOT SENT: {outgoing.Error!.ErrorId}: {outgoing.Error.Message}"));
                any = true;
            }
        }

        return any;
    }

    // A line typed here: shown at once, marked pending until the server has it.
    private void ShowPending(OutgoingMessage outgoing)
    {
        _mine.Add(outgoing.MessageId);
        Show(FormatOwn(outgoing, " (pending)"));
        _pending[outgoing.MessageId] = (outgoing, _screen.Count - 1);
    }

    // What is still queued for a room (perhaps from an earlier session) is shown as pending too.
    private void ShowQueued(string room)
    {
        foreach (var outgoing in _secure.Outgoing(room).Where(o => !_mine.Contains(o.MessageId)))
        {
            ShowPending(outgoing);
        }
    }

    private Entry FormatOwn(OutgoingMessage outgoing, string mark) =>
        Format(new SecureMessage(outgoing.Room, outgoing.Sequence ?? 0, session.UserName, "", outgoing.Text + mark, outgoing.QueuedAt, outgoing.QueuedAt,
            true, ContactTrust.Verified, null, 0, false, 0) { IsOwn = true });

    private bool HandleKey(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                var line = _input.ToString().Trim();
                _input.Clear();
                DrawInput();
                return line.Length == 0 || Submit(line);
            case ConsoleKey.Backspace:
                if (_input.Length > 0)
                {
                    _input.Length--;
                }

                break;
            case ConsoleKey.Escape:
                _input.Clear();
                break;
            default:
                if (!char.IsControl(key.KeyChar) && _input.Length < MaxInput)
                {
                    _input.Append(key.KeyChar);
                }

                break;
        }

        return true;
    }

    // Returns false to leave the chat.
    private bool Submit(string line)
    {
        try
        {
            if (!line.StartsWith('/'))
            {
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
                case "/help":
                    Notice("/join ROOM  /leave [ROOM]  /rooms  /who  /msg USER TEXT  /verify USER  /quit");
                    break;
                case "/join" when argument is not null:
                    var joined = Await(_secure.EnterAsync(argument, stop));
                    SwitchTo(joined.Name);
                    break;
                case "/leave":
                    var leaving = argument ?? _room;
                    Await(_secure.LeaveAsync(leaving, stop));
                    Notice($"Left {leaving}.");
                    break;
                case "/rooms":
                    var rooms = Await(_secure.Client.ListRoomsAsync(stop));
                    var unread = _secure.UnreadCounts();
                    Notice("Rooms: " + string.Join("  ", rooms.Select(r =>
                        $"{(r.Name == _room ? "*" : "")}{r.Name}{(r.Name != _room && unread.TryGetValue(r.Name, out var w) && w > 0 ? $" ({w} unread)" : "")}{(r.Joined ? "" : " (not joined)")}")));
                    break;
                case "/who":
                    var members = Await(_secure.Client.ListMembersAsync(_room, stop));
                    Notice($"In {_room}: " + string.Join("  ", members.Select(m => m.Online ? $"{m.UserName} (online)" : $"{m.UserName} (away{(m.AwaySince is { } since ? " since " + since.ToLocalTime().ToString("HH:mm") : "")})")));
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
                        _secure.ConfirmContact(argument, number);
                        Notice($"Safety number with {argument}: {number}. Marked verified: compare it with {argument} in person.");
                    }

                    break;
                default:
                    Notice($"Unknown command {parts[0]}. /help lists the commands.");
                    break;
            }
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.MessageTooLarge)
        {
            // Nothing is lost: the line goes back to the input, to shorten or clear with Esc.
            _input.Clear().Append(line);
            Notice($"{e.ErrorId}: {e.Message} The line is back in the input: shorten it, or press Esc to clear it.");
        }
        catch (OpenChatException e)
        {
            Notice($"{e.ErrorId}: {e.Message}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false; // Ctrl+C while a command waited
        }
        catch (Exception e)
        {
            // Whatever else a command runs into is that command's failure, never the end of the chat.
            Notice($"{e.GetType().Name}: {e.Message}");
        }

        return true;
    }

    // What waited for the room (still in the session) is shown by the next drain.
    private void SwitchTo(string room)
    {
        _room = room;
        Show(new Entry("", $"── {room} ──", Style: "1"));
        ShowQueued(room);
    }

    private T Await<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private void Await(Task task) => task.GetAwaiter().GetResult();

    private void Notice(string text) => Show(new Entry("", text, Style: "2"));

    /// <summary>One item of the screen: <see cref="Prefix"/> is the screen's own (time, badge,
    /// sender: already safe, with its colours), <see cref="Body"/> is raw text from anyone, shown
    /// neutralised, in <see cref="Style"/> (an SGR parameter) when given.</summary>
    internal sealed record Entry(string Prefix, string Body, int PrefixWidth = 0, string? Style = null);

    internal static Entry Format(SecureMessage m)
    {
        var time = m.Time.ToLocalTime().ToString("HH:mm");
        var sender = TerminalText.Neutralise(m.Sender);
        if (m.IsNotice)
        {
            return new Entry($"{time} {Esc}2m—{Esc}0m ", NoticeText.Of(m), time.Length + 3, Style: "2");
        }

        if (!m.Verified)
        {
            var refused = $"✗ refused event from {sender}: ";
            return new Entry($"{time} {Esc}31m{refused}{Esc}0m", m.Problem ?? "", time.Length + 1 + TerminalText.Width(refused), Style: "31");
        }

        var (badge, badgeText) = m.SenderTrust switch
        {
            ContactTrust.Verified => ($"{Esc}32m✓{Esc}0m", "✓"),
            ContactTrust.Changed => ($"{Esc}31;1m! KEY CHANGED{Esc}0m", "! KEY CHANGED"),
            _ => ($"{Esc}33m·{Esc}0m", "·"),
        };
        var color = 31 + (Math.Abs(StringComparer.OrdinalIgnoreCase.GetHashCode(m.Sender)) % 6);
        return new Entry($"{time} {badge} {Esc}{color};1m{sender}{Esc}0m: ", m.Text,
            time.Length + 1 + badgeText.Length + 1 + TerminalText.Width(sender) + 2);
    }

    /// <summary>
    /// The screen rows of an entry at <paramref name="width"/> columns. The first row starts with
    /// the prefix; every further row, whether the body had a line break there or just went on, is
    /// indented by the prefix's width (at most a third of the screen, at least two columns), so
    /// the left edge belongs to the screen alone.
    /// </summary>
    internal static List<string> Rows(Entry entry, int width)
    {
        var indent = Math.Max(2, Math.Min(entry.PrefixWidth, width / 3));
        var pad = new string(' ', indent);
        var (open, close) = entry.Style is null ? ("", "") : ($"{Esc}{entry.Style}m", $"{Esc}0m");
        var lines = TerminalText.Lines(entry.Body);
        var head = TerminalText.Wrap(lines[0], width - entry.PrefixWidth)[0];
        var rows = new List<string> { $"{entry.Prefix}{open}{head}{close}" };
        var rest = lines.Skip(1).Prepend(lines[0][head.Length..]).ToList();
        for (var i = 0; i < rest.Count; i++)
        {
            if (i == 0 && rest[0].Length == 0)
            {
                continue; // the first line fitted on the first row
            }

            rows.AddRange(TerminalText.Wrap(rest[i], width - indent).Select(piece => $"{pad}{open}{piece}{close}"));
        }

        return rows;
    }

    private List<string> Rows(Entry entry) => Rows(entry, _width);

    // Writes an entry at the bottom of the scroll region; the terminal scrolls the rest up.
    private void Show(Entry entry)
    {
        _screen.Add(entry);
        if (_screen.Count > 1000)
        {
            _screen.RemoveRange(0, 200);
            foreach (var (id, (outgoing, at)) in _pending.ToList())
            {
                _pending[id] = (outgoing, at - 200);
            }
        }

        foreach (var row in Rows(entry))
        {
            Console.Write($"{Esc}{_height - 2};1H\n{Esc}2K{row}");
        }

        DrawInput();
    }

    // Rewrites an entry already shown (a pending line once its message was sent) in place: the
    // message region is drawn again from its newest entry up, as Layout does.
    private void Replace(int index, Entry entry)
    {
        if (index < 0 || index >= _screen.Count)
        {
            return;
        }

        _screen[index] = entry;
        var bottom = _height - 2;
        var rows = new List<string>();
        var first = _screen.Count;
        for (var i = _screen.Count - 1; i >= 0 && rows.Count < bottom; i--)
        {
            rows.InsertRange(0, Rows(_screen[i]));
            first = i;
        }

        if (index < first)
        {
            return; // scrolled out of sight
        }

        var visible = rows.Skip(Math.Max(0, rows.Count - bottom)).ToList();
        var redraw = new StringBuilder();
        for (var row = 1; row <= bottom; row++)
        {
            var at = visible.Count - 1 - (bottom - row);
            redraw.Append($"{Esc}{row};1H{Esc}2K").Append(at >= 0 ? visible[at] : "");
        }

        Console.Write(redraw.ToString());
        DrawInput();
    }

    private void DrawStatus()
    {
        // Notices (membership changes) are shown when the room is opened but do not count as unread.
        var unread = _secure.UnreadCounts().Where(w => w.Key != _room && w.Value > 0).OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => $"{w.Key}({w.Value})").ToList();
        var status = TerminalText.Neutralise($" {_room} | {session.UserName}@{session.Server} | {session.State}" + (unread.Count > 0 ? " | unread: " + string.Join(' ', unread) : ""));
        if (status == _status)
        {
            return;
        }

        _status = status;
        var text = status.Length > _width ? status[.._width] : status.PadRight(_width);
        Console.Write($"{Esc}s{Esc}{_height - 1};1H{Esc}7m{text}{Esc}0m{Esc}u");
        DrawInput();
    }

    private void DrawInput()
    {
        var visible = _input.Length > _width - 3 ? _input.ToString(_input.Length - (_width - 3), _width - 3) : _input.ToString();
        Console.Write($"{Esc}{_height};1H{Esc}2K> {TerminalText.Neutralise(visible)}");
    }
}
