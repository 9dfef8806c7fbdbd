using Microsoft.Extensions.Logging;
using OpenChat.Engine;
using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Engine.Client;
using static OpenChat.Cmdlets.Terminal.ChatScreen;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// The interactive chat: what the user types goes to the session, what arrives for the room on
/// screen is shown on a <see cref="ChatScreen"/>. Everything runs on the calling thread: it polls
/// the keyboard and the session in turn, so no background thread ever writes to the console.
/// Resizing is picked up on the next tick. A room opens with its recent history from
/// <see cref="IRoomHistory"/> (see TerminalChat.History.cs).
/// </summary>
/// <remarks>
/// Nothing others wrote reaches the terminal as it is: messages, names and refusal reasons go
/// through <see cref="TerminalText"/>, so escape sequences, other controls and bidi overrides
/// are shown, not obeyed; <see cref="ChatScreen"/> keeps the left edge for the screen's own lines.
/// </remarks>
internal sealed partial class TerminalChat(ChatSession session, string room, IChatConsole console, IRoomHistory history, ILogger log, CancellationToken stop)
{
    private readonly SecureSession _secure = session.Secure;
    private readonly ChatScreen _screen = new(console);
    // Our own lines on screen, by message id: pending ones (with their entry on screen) until the
    // server has them; the echo of each comes back from the room and is taken, since it was shown.
    private readonly Dictionary<Guid, (OutgoingMessage Message, long Entry)> _pending = [];
    private readonly HashSet<Guid> _mine = [];
    // The room on screen; null after /leave of the last room, until /join.
    private string? _room;
    private (string User, string Number)? _verifying; // a /verify waiting for its y/N

    public void Run()
    {
        _screen.Older = Older;
        _screen.Layout(Status());
        OpenRoom(room, $"Joined {room}. Type a message and press Enter; /help lists commands; PageUp scrolls back; /quit leaves.");
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (_screen.Resized)
                {
                    _screen.Layout(Status());
                }

                var busy = DrainMessages();
                var typed = false;
                while (console.KeyAvailable)
                {
                    busy = typed = true;
                    if (!HandleKey(console.ReadKey()))
                    {
                        return;
                    }
                }

                if (typed)
                {
                    _screen.DrawInput(); // once per burst of keys: a long paste is not redrawn per character
                }

                _screen.DrawStatus(Status());
                if (!busy)
                {
                    stop.WaitHandle.WaitOne(30);
                }
            }
        }
        finally
        {
            _screen.Restore();
        }
    }

    // Takes only what this screen shows: the room on screen, and the echoes of our own lines.
    // Messages of other rooms stay in the session (counted as unread) for when the room is
    // opened, for Receive-ChatMessage, or for the next session.
    private bool DrainMessages()
    {
        var any = false;
        while (_secure.TryReceive(out var received, m => m.Room == _room || _mine.Contains(m.MessageId)))
        {
            any = true;
            var message = received!;
            if (!Track(message))
            {
                _mine.Remove(message.MessageId);
                continue; // already on screen, from the room's history
            }

            if (_mine.Remove(message.MessageId))
            {
                if (_pending.Remove(message.MessageId, out var shown))
                {
                    _screen.Replace(shown.Entry, Format(message));
                }

                continue;
            }

            _screen.Show(Format(message));
            if (message.Attachment is not null)
            {
                _attachments.Add(message); // for /save
            }
        }

        foreach (var (id, (outgoing, entry)) in _pending.ToList())
        {
            if (outgoing.State == OutgoingState.Sent)
            {
                _pending.Remove(id);
                _screen.Replace(entry, FormatOwn(outgoing, ""));
                any = true;
            }
            else if (outgoing.State == OutgoingState.Failed)
            {
                _pending.Remove(id); // still "mine": the notice of the refusal was shown here
                // The reason is the server's text: it is shown neutralised, like any message text.
                _screen.Replace(entry, FormatOwn(outgoing, $"  ✗ NOT SENT: {outgoing.Error!.ErrorId}: {outgoing.Error.Message}"));
                any = true;
            }
        }

        return any;
    }

    // A line typed here: shown at once, marked pending until the server has it.
    private void ShowPending(OutgoingMessage outgoing)
    {
        _mine.Add(outgoing.MessageId);
        _pending[outgoing.MessageId] = (outgoing, _screen.Show(FormatOwn(outgoing, " (pending)")));
    }

    // What is still queued for a room (perhaps from an earlier session) is shown as pending too.
    private void ShowQueued(string room)
    {
        foreach (var outgoing in _secure.Outgoing(room).Where(o => !_pending.ContainsKey(o.MessageId)))
        {
            ShowPending(outgoing);
        }
    }

    private Entry FormatOwn(OutgoingMessage outgoing, string mark) =>
        Format(new SecureMessage(outgoing.Room, outgoing.Sequence ?? 0, session.UserName, "", outgoing.Text + mark, outgoing.QueuedAt, outgoing.QueuedAt,
            true, ContactTrust.Verified, null, 0, false, 0) { IsOwn = true });

    // Returns false to leave the chat.
    private bool HandleKey(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.PageUp:
                _screen.PageUp();
                return true;
            case ConsoleKey.PageDown:
                _screen.PageDown();
                return true;
            case ConsoleKey.End:
                _screen.End();
                return true;
        }

        if (_verifying is { } asked)
        {
            // The answer to "Mark … verified? (y/N)": one key, and only y marks.
            _verifying = null;
            if (key.KeyChar is 'y' or 'Y')
            {
                _secure.ConfirmContact(asked.User, asked.Number);
                Notice($"Marked {asked.User} verified.");
            }
            else
            {
                Notice($"{asked.User} was not marked verified.");
            }

            return true;
        }

        if (_screen.Input.Apply(key) is not { } line)
        {
            return true;
        }

        _screen.DrawInput();
        if (line.Length == 0)
        {
            return true;
        }

        _screen.End(); // what the line brings (its own echo, a notice) is seen where it lands
        return Submit(line);
    }

    private void Notice(string text) => _screen.Show(NoticeEntry(text));

    internal static Entry Format(SecureMessage m)
    {
        var time = m.Time.ToLocalTime().ToString("HH:mm");
        var sender = TerminalText.Neutralise(m.Sender);
        if (m.IsNotice)
        {
            // A device new to the room that nobody verified, or a kick, is said in bold yellow, not dimmed.
            var style = NoticeText.IsLoud(m.Notice) ? "1;33" : "2";
            return new Entry($"{time} {Esc}{style}m—{Esc}0m ", NoticeText.Of(m), time.Length + 3, Style: style);
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
        // An attachment: its sender, name and size; the name is the sender's word, neutralised.
        var body = m.Attachment is { } file ? $"[file] {TerminalText.Neutralise(file.Name)} ({ChatAttachment.FormatSize(file.Size)}) — /save to fetch it" : m.Text;
        return new Entry($"{time} {badge} {Esc}{color};1m{sender}{Esc}0m: ", body,
            time.Length + 1 + badgeText.Length + 1 + TerminalText.Width(sender) + 2);
    }


    // Notices (membership changes) are shown when the room is opened but do not count as unread.
    private string Status()
    {
        var unread = _secure.UnreadCounts().Where(w => w.Key != _room && w.Value > 0).OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => $"{w.Key}({w.Value})").ToList();
        return $" {_room ?? "(no room)"} | {session.UserName}@{session.Server} | {session.State}" + (unread.Count > 0 ? " | unread: " + string.Join(' ', unread) : "");
    }
}
