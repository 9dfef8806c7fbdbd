@{
    Synopsis    = 'Returns messages from this device''s encrypted history: what it received and sent, newest last, as the same objects as Receive-ChatMessage.'
    Description = @'
Every message a session receives or sends (your own from this or another of your devices, refused events with their reason, and membership notices) is kept in an encrypted history in the profile (history.db, next to e2e.state). Get-ChatMessage reads that history: it works offline, through reconnects and after PowerShell restarts, and returns the messages that match all the filters given, newest last. It asks the server nothing and marks nothing read: Receive-ChatMessage keeps its meaning (what is new since it last returned), and unread counts are unchanged.

-Room takes one room or direct conversation by its name (as Get-ChatRoom shows it); without it, the messages of every room come in the order the server stored them. -Last keeps only the newest N of what matches. -Since and -Before take times (the server's time of each message, as in the Time property; a time without a zone is local time): -Since is inclusive, -Before exclusive. -From keeps the messages of one user (without case). -Match keeps those whose text matches a .NET regular expression, without case.

A device reads only what was sent while it was a member of the room's encrypted group, so the history of a room on a device that joined later begins at its join: earlier messages cannot be read here (that is the point of end-to-end encryption), and Get-ChatMessage returns none of them. Enter-ChatRoom says so where its history begins.

The history is protected as the identity's private key is: each record is encrypted with AES-GCM under a key derived from that key, and rooms are indexed by a keyed hash of their name, so the file shows how many messages there are and when they were stored, but no room, name or text (see about_OpenChat and docs/security.md).
'@
    Parameters  = @{
        Room          = 'The room or direct conversation (for example ops or @alice+bob) whose history to return. By default every room''s. Tab completion offers the rooms of the session.'
        Last          = 'Returns only the newest this many of the messages that match the other filters.'
        Since         = 'Returns only messages the server stored at or after this time.'
        Before        = 'Returns only messages the server stored before this time.'
        From          = 'Returns only messages sent by this user (the comparison ignores case).'
        Match         = 'Returns only messages whose text matches this .NET regular expression, ignoring case. Notices have no text and never match. An invalid pattern stops the command with MatchPatternInvalid.'
        IncludeNotice = 'Also returns membership notices (someone joined, was added or removed, keys were rotated) as objects with IsNotice set. Without it only messages and refused events are returned.'
        Session       = 'The session whose history to read, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with a Session property, such as a room from Get-ChatRoom, binds it to -Session.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatMessage'; Description = 'One object per message, newest last, exactly as Receive-ChatMessage returns them: Room, Sequence, Sender, Text, Time, SentAt, Verified, SenderTrust, Problem, IsOwn, IsNotice and the rest.' }
    )
    Notes       = @'
The history is kept per device: a new device, or a profile enrolled again, starts with an empty one. Deleting history.db from the profile (while no session is connected) deletes the device's history; the next session starts a new one.

Error ids: NotConnected, MatchPatternInvalid, StoreUnavailable (history.db cannot be opened, or was written under another identity's key), StoreVersionUnsupported (it was written by a newer OpenChat).
'@
    Examples    = @(
        @{
            Title   = 'The last messages of a room'
            Code    = 'Get-ChatMessage -Room ops -Last 20'
            Remarks = 'Shows the 20 newest messages of ops kept on this device, oldest first, as a table of time, room, sender, status and text.'
        }
        @{
            Title   = 'Search the history'
            Code    = 'Get-ChatMessage -Match ''deploy \d+'' -Since (Get-Date).AddDays(-7) | Format-Table Time, Room, Sender, Text'
            Remarks = 'Finds every message of the last seven days, in any room, whose text mentions a deploy followed by a number.'
        }
        @{
            Title   = 'What one person said in a room'
            Code    = 'Get-ChatMessage -Room ops -From bob -Before ''2026-03-01'''
            Remarks = 'Returns bob''s messages in ops that the server stored before the first of March (local time).'
        }
        @{
            Title   = 'Save a room''s history to a file'
            Code    = 'Get-ChatMessage -Room ops -IncludeNotice | Select-Object Time, Sender, Text, IsNotice | Export-Csv ./ops-history.csv'
            Remarks = 'Writes the whole history of ops on this device, notices included, to a CSV file. The file is not encrypted: keep it as safe as the conversation.'
        }
    )
    Links       = @('Receive-ChatMessage', 'Enter-ChatRoom', 'Connect-ChatRoom', 'about_OpenChat')
}
