@{
    Synopsis    = 'Opens the interactive, full-terminal chat in a room.'
    Description = @'
Enter-ChatRoom turns the terminal into a chat screen: messages scroll above a status line and an input line. Type a message and press Enter to send it, end-to-end encrypted and signed like Send-ChatMessage. Each message shows the time, the sender's name in a colour of its own, and a mark for how far the sender is trusted: a green check for a contact you verified (Confirm-ChatContact), a dot for a signed message from a contact you have not verified yet, and a red KEY CHANGED when the contact's keys changed since you first saw them. Events the client refused (bad signature, replay, stale epoch and the like) are shown in red with the reason.

What others write is shown, never obeyed: escape sequences and other control characters in a message, a name or a refusal reason cannot clear or recolour the screen, move the cursor or rewrite a line. They are shown as visible symbols instead (ESC as ␛, a carriage return as ␍, other control characters as their control pictures), and Unicode direction overrides, which would reorder the text, as escapes such as \u202e. A message of several lines shows its first line after the sender and every further line indented under it, as are long lines the screen wraps, so that no line of a message can pass for a message of someone else.

Long messages. A pasted line is sent as one message, up to the limit of 64 KiB (65,536 bytes of UTF-8) per message. A longer line is not sent: a notice says so and gives the limit, the line stays in the input line (shorten it, or press Esc to clear it), and the chat goes on. A failing command never ends the chat; its error is shown as a notice.

The status line shows the room, your identity, the connection state (the session reconnects by itself and fills any gap from the room's history) and rooms with unread messages.

What you type is never lost. A line appears on the screen as soon as you press Enter, marked (pending) until the server has stored it; then the mark goes. While the server cannot be reached (the status line says Reconnecting) you can keep typing: each line is kept, encrypted, in the session's outbox, shown as pending, and sent by itself, in order and once, when the connection is back, exactly as Send-ChatMessage does. A line that is refused for good once it goes is marked in red as not sent, with the reason. If you leave while lines are still pending, a warning says how many; they stay in the profile and go with the next session of the identity.

History and scrolling. A room opens with its recent history kept on this device, with a line marked unread where the messages you have not read begin (when that part is longer than the screen, the screen opens at that line). Your own messages never count as unread. Where the device's history of the room begins, a note says that earlier messages were sent before this device joined and cannot be read here: they were end-to-end encrypted for the devices in the room then. A room with nothing yet says it has no messages. PageUp scrolls back a screen at a time (reading older history from the device when it goes past what is on screen) and PageDown forward; while you are scrolled back the status line starts with SCROLLED BACK and counts the new messages that arrived below, and they do not move the view. End, PageDown to the bottom, or sending a line returns to the newest. Resizing the window draws the same messages again, wrapped for the new width.

Unread messages stay unread until you see them. A message of another room (a direct message, say) is counted in the status line but left in the session: it is shown when you open that room (/join), and if you leave the chat before that it is still there for Receive-ChatMessage, for the next Enter-ChatRoom, or for the next session.

Slash commands:
/join ROOM switches to a room (joining it if needed; @alice+bob for a direct conversation; a room that does not exist is not created: the notice says RoomNotFound, names the nearest rooms and the /create command), /create ROOM creates a new room and switches to it (RoomExists if it exists), /leave [ROOM] leaves a room for good (leaving the room on screen opens the one you were in before, else another you are in; with none left, /join and /quit still work), /rooms lists rooms with unread counts, /who lists the room's members and who is online, /msg USER TEXT sends a direct message, /create ROOM private creates a private room, /add USER [admin] adds a user to the room on screen (as a member, or as an admin), /kick USER removes a user and all their devices from the room's encryption, /op USER makes a user an admin and /deop USER makes an admin a member again (the four are an admin's, like Add-, Remove- and Set-ChatRoomMember; /who marks admins with @; /help admin explains them), /verify USER shows the safety number with USER and asks whether to mark them verified (y marks, any other key does not: compare the number with them first), /help lists the commands and explains the marks before a name, and /quit (or Ctrl+C) returns to PowerShell.

It uses the session given with -Session, or the newest open one, or, with -Identity, connects as that identity for the duration and disconnects when you leave. It needs an interactive terminal (any VT terminal, including tmux); in scripts use Send-ChatMessage and Receive-ChatMessage.
'@
    Parameters  = @{
        Room        = 'The room to open, for example ops or @alice+bob. Without it, the first room the session has joined.'
        Session     = 'The session to chat through, from Connect-ChatRoom. Without it (and without -Identity), the newest open session. Accepts pipeline input.'
        Identity    = 'Connects as this identity (its name, user name or profile directory) for the length of the chat, when no session is open or wanted. Alias: Path.'
        ProfilePath = 'The folder that holds identities, with -Identity; default $env:OPENCHAT_HOME, otherwise ~/.openchat.'
        Password    = 'The password of the identity''s private key, with -Identity, when it is encrypted. Without it, an interactive PowerShell asks for it at a hidden prompt; a non-interactive one (pwsh -NonInteractive, input from a pipe) fails with ProfilePasswordWrong.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatSession'; Description = 'A session from Connect-ChatRoom or Get-ChatSession.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'The chat happens on the screen; nothing is written to the pipeline.' }
    )
    Notes       = 'Messages shown on this screen are marked read, like those returned by Receive-ChatMessage; messages of rooms not on the screen are not. Error ids: NotInteractive (no terminal), RoomNotFound (no room given or joined, or -Room names a room that does not exist: the message names the nearest existing rooms; create it with New-ChatRoom), and those of Connect-ChatRoom and Send-ChatMessage.'
    Examples    = @(
        @{
            Title   = 'Chat in ops through the current session'
            Code    = @'
Connect-ChatRoom -Room ops | Out-Null
Enter-ChatRoom ops
'@
            Remarks = 'Opens the chat screen for ops. Type to talk; /quit returns to the prompt with the session still connected.'
        }
        @{
            Title   = 'Connect, chat and disconnect in one command'
            Code    = 'Enter-ChatRoom -Room ops -Identity alice'
            Remarks = 'Connects as alice, opens ops, and disconnects when you leave the chat.'
        }
        @{
            Title   = 'Open a direct conversation'
            Code    = @'
Join-ChatRoom -User bob | Out-Null
Enter-ChatRoom '@alice+bob'
'@
            Remarks = 'Chats with bob alone. Inside any room, /msg bob TEXT does the same without switching.'
        }
    )
    Links       = @('Connect-ChatRoom', 'Send-ChatMessage', 'Receive-ChatMessage', 'Confirm-ChatContact', 'about_OpenChat')
}
