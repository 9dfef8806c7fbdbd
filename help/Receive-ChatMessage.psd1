@{
    Synopsis    = 'Returns received chat messages as objects, decrypted and verified: those waiting now, or with -Wait as they arrive.'
    Description = @'
Writes the messages the session has received in its rooms and direct conversations, one object per message, oldest first within each room. Every message is checked before it is returned: its signature must verify against the sender's certificate, that certificate must chain to the CA pinned in the profile and must not be revoked, the message must not be a replay or come from an epoch that has ended, and it must decrypt. Each message is handed out once: a later call returns only what has arrived since.

Without -Wait the command returns what is waiting and stops once nothing more arrives for a short moment (0.3 seconds), which lets a session that has just connected finish catching up on what it missed. With -Wait it keeps writing messages as they arrive, so that the next command in the pipeline handles each one at once, until Ctrl+C, until -Timeout seconds have passed or until -Count messages have been written.

-Room limits the output to the rooms whose names match (wildcards are supported, for example 'release-*' or '@*' for every direct conversation). Messages of other rooms that arrive meanwhile are not lost: they are kept in the session and returned by a later Receive-ChatMessage call that asks for them (or that has no -Room).

Messages that arrived while the user was not connected are fetched when the session connects and returned like any other; they are kept encrypted in the profile (e2e.state) until they have been handed out, so they survive a restart of PowerShell. A device reads only what was sent while it was a member of the room's encrypted group: messages from before it joined are never returned, and a member who has left reads nothing sent after the remaining members removed it.

Warnings. An event that fails the checks (a forged or unverifiable signature, an unknown or revoked sender, a replay, a stale epoch, a commit that tries to add or drop members behind the members' backs) is returned as an object with Verified False, an empty Text and the reason in Problem, and the command writes a warning for it. When a sender's keys have changed since this device first saw them (a new device, a new certificate, or a key substituted by someone in the middle), the command writes a warning, once per sender per call, asking to compare safety numbers with Get-ChatContact and to confirm with Confirm-ChatContact. The messages of such a sender are still returned, with SenderTrust Changed.

What each object says:
Room, Sender and Text: where it was said, by whom and what. The sender is the user named in the certificate that signed the message; the name inside the signature is checked, so nobody (the server included) can pass a message off as someone else's. SenderDevice is the serial of that certificate, which tells a user's devices apart.
Verified: True when the signature verified and the content decrypted; False for a refused event (see Problem). Only trust Text when Verified is True.
SenderTrust: Unverified (the sender's keys were pinned the first time this device saw them, but nobody has compared safety numbers), Verified (you compared safety numbers and ran Confirm-ChatContact; your own messages are always Verified) or Changed (the sender's keys changed since; compare again).
Problem: for a refused event, why it was refused; empty otherwise.
Sequence: the room's sequence number given by the server, gap-free across everything the room records (messages, key packages and commits), so consecutive messages can show gaps. It is the order every member sees.
Epoch: the room's key epoch the message was encrypted in. It goes up with every membership change and key rotation.
OutOfOrder: True when the server delivered this message after a later one from the same sender.
MissingBefore: how many messages of this sender, in this epoch, were never delivered before this one (a non-zero value means messages were dropped or withheld on the way).
Time and SentAt: Time is when the server stored the message (the server's clock, and the order of the room); SentAt is when the sender encrypted it, by the sender's clock; it is the timestamp of the signed Fernet token, so the server cannot change it. A large difference means the message was queued while the sender was offline, or that one of the clocks is wrong.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected. If the session closes for good (for example after its certificate is revoked), the command writes a warning and stops.
'@
    Parameters  = @{
        Room    = 'Returns only messages of the rooms (and direct conversations) whose names match this pattern. Wildcards are supported. Messages of other rooms are kept in the session for a later call. By default messages of every room are returned.'
        Wait    = 'Keeps waiting for new messages and writes each as it arrives, until Ctrl+C, -Timeout or -Count ends the command.'
        Timeout = 'The longest time to wait, in seconds. With -Wait, the command stops after this many seconds in all. Without -Wait, it waits up to this many seconds for messages instead of stopping after a short quiet moment. 0 returns only what is already waiting. The default is no limit with -Wait.'
        IncludeNotice = 'Also outputs membership notices as objects (IsNotice set): someone joined, was added or removed, or keys were rotated. Without it, notices go to the information stream (see them with -InformationAction Continue or collect them with -InformationVariable), so a bot reading messages is not disturbed, yet no member ever joins unseen.'
        Count   = 'Stops after this many messages (refused events included) have been written. The default is no limit.'
        Session = 'The session to read from, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with a Session property, such as a room from Get-ChatRoom, binds it to -Session. The command reads no other input from the pipeline.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatMessage'; Description = 'One object per message: Room, Sequence, Sender, Text, Time, SentAt, Verified, SenderTrust, Problem, Epoch, OutOfOrder, MissingBefore and SenderDevice. The default view shows the time, room, sender, a status (signed, verified, KEY CHANGED or REFUSED) and the text (or the problem).' }
    )
    Notes       = @'
Your own messages are returned too, with IsOwn set. Filter them out in a bot that answers messages (Where-Object { -not $_.IsOwn }), or it will answer itself.

Only one session per identity can be connected at a time (ProfileInUse), so two PowerShell windows cannot read the same identity's messages at once. Use one identity per bot.

Messages kept back because of -Room stay queued in the session and are saved with its state, so they are still there after a reconnect; nothing is marked read until it is returned. The same holds for messages that Enter-ChatRoom counted as unread in a room that was not on its screen.

A message you sent while the server could not be reached that was then refused for good when it went (see Send-ChatMessage) is reported as a notice in its room, with IsOwn set and the reason in Problem.

Text keeps exactly what the sender wrote, control characters included, since it is data. The views of this module (the default table, Format-List, the object's ToString) and the warnings and notices of this command show names, texts and reasons neutralised, so that escape sequences in them cannot take over the terminal: ESC is shown as ␛, other control characters as their control pictures, direction overrides as \u202e. Writing .Text to the host yourself (Write-Host, Select-Object Text, Format-List *) shows it as it is.

Error ids: NotConnected.
'@
    Examples    = @(
        @{
            Title   = 'Read what has arrived'
            Code    = 'Receive-ChatMessage'
            Remarks = 'Returns every message waiting in the newest session, in all of its rooms, and stops once nothing more arrives.'
        }
        @{
            Title   = 'Follow a room until Ctrl+C'
            Code    = 'Receive-ChatMessage -Room ops -Wait'
            Remarks = 'Shows the messages of ops as they arrive, one line each, until Ctrl+C. Messages of the session''s other rooms are kept for later.'
        }
        @{
            Title   = 'A bot that reacts to deploy requests'
            Code    = @'
$session = Connect-ChatRoom -Identity deploybot -Room ops
Receive-ChatMessage -Session $session -Room ops -Wait | Where-Object Text -match deploy | ForEach-Object {
    if (-not $_.Verified -or $_.Sender -eq $session.UserName) { return }
    if ($_.Text -match 'deploy (?<version>\d+(\.\d+)+)') {
        $version = $Matches.version
        Send-ChatMessage -Session $session -Room ops "Deploying $version for $($_.Sender)"
        ./deploy.ps1 -Version $version 2>&1 | Send-ChatMessage -Session $session -Room ops
    }
}
'@
            Remarks = 'Handles each message of ops that mentions deploy as it arrives, until Ctrl+C. Refused events and the bot''s own messages (which come back to it, and which also mention deploy) are skipped; a message such as "please deploy 2026.1" starts the deployment and posts its output to the room, line by line.'
        }
        @{
            Title   = 'Take the next ten messages, or what came in two minutes'
            Code    = 'Receive-ChatMessage -Room builds -Wait -Count 10 -Timeout 120 | Format-Table Time, Sender, Text'
            Remarks = 'Stops as soon as ten messages of builds have been written, or after 120 seconds with whatever has arrived by then.'
        }
        @{
            Title   = 'Wait for a reply, but not for ever'
            Code    = @'
$session = Get-ChatSession | Select-Object -Last 1
Send-ChatMessage -To bob 'Is the database migration finished?'
$reply = Receive-ChatMessage -Room '@*' -Wait -Timeout 300 |
    Where-Object Sender -ne $session.UserName | Select-Object -First 1
if (-not $reply) { Write-Warning 'No answer within 5 minutes.' }
'@
            Remarks = 'Waits up to 300 seconds for the first message from someone else in a direct conversation. The sender''s own message comes back too, so -Count 1 alone would return it; Select-Object -First 1 after the filter stops the command as soon as the reply arrives.'
        }
        @{
            Title   = 'Collect a minute of messages and act only on trusted senders'
            Code    = @'
$messages = Receive-ChatMessage -Room 'release-*' -Wait -Timeout 60
$messages | Where-Object SenderTrust -eq Changed | Select-Object -Unique Sender
$messages | Where-Object { $_.Verified -and $_.SenderTrust -eq 'Verified' } | Format-Table Time, Room, Sender, Text
'@
            Remarks = 'Gathers the messages of every release-* room for 60 seconds, lists the senders whose keys have changed, and shows only the messages from senders whose safety numbers have been compared.'
        }
        @{
            Title   = 'Look for dropped or delayed messages'
            Code    = 'Receive-ChatMessage | Where-Object { $_.MissingBefore -gt 0 -or $_.OutOfOrder -or ($_.Time - $_.SentAt).TotalMinutes -gt 5 } | Format-List Room, Sequence, Sender, SentAt, Time, MissingBefore, OutOfOrder'
            Remarks = 'Shows messages that came after a gap in the sender''s messages, out of order, or more than five minutes after they were written.'
        }
    )
    Links       = @('Send-ChatMessage', 'Get-ChatContact', 'Confirm-ChatContact', 'Connect-ChatRoom', 'about_OpenChat')
}
