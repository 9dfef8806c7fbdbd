@{
    Synopsis    = 'Sends end-to-end encrypted, signed messages to a room or to another user.'
    Description = @'
Encrypts each input as one message for the current members of a room's encrypted group, signs it with the identity's certificate key and stores it on the server. Only the members of the room at the moment of sending can read it; the server, the network and people who have left see only ciphertext.

One message per input. -Message takes pipeline input, so every line that Get-Content reads, or every line a program writes, becomes its own message, in order. Empty lines and lines of only spaces are skipped. A single string that contains line breaks, such as the output of Get-Content -Raw, is sent as one multi-line message. Anything that is not a string is sent as its text, so the error records that 2>&1 turns a program's standard error into are sent as their message.

Where it goes. -Room names the room. Without -Room and -To, the message goes to the session's only room; when the session has joined no room or several, the command fails with RoomNotFound and says which rooms there are. A room the session has not joined yet is joined before the first message, exactly as Join-ChatRoom would; a room that does not exist is never created: the message fails with RoomNotFound, naming the nearest existing rooms ("There is no room 'opss'. Did you mean: ops? Create it with New-ChatRoom -Name opss."), and is not kept. Capitals in -Room are made small. While offline, -To only works out the conversation's name (@alice+bob); it is opened when its first message goes. -To sends a direct message: it opens the direct conversation with that user (@alice+bob, see Join-ChatRoom -User) and sends there. The other person can read it only once one of their devices has joined the conversation's encryption, which their session does by itself as soon as it is online (when you share a room with them, their devices known there are added at once). Until then, for example to someone enrolled who has never been online, the command does not wait for them and does not fail: it returns at once, the message is kept in the outbox as Pending with WaitingFor set to their name (one warning says so), and it is encrypted and sent by itself as soon as one of their devices joins, then delivered when they connect; this holds through Disconnect-ChatRoom and a restart of PowerShell. It is never encrypted in an epoch without a device of theirs, so they can read it. A user who is not enrolled is refused at once with UserNotFound, and nothing is kept; if their certificate is revoked (or expires) before they ever connect, the waiting messages fail with UserNotFound and the reason, as below.

Before sending. When the message can really be sent, the command brings the room's encrypted group up to date first: it removes members whose certificates have been revoked (from the CA-signed revocation list, fetched before every message) or who have left the room (each leaver's device sends a signed departure; the server's member list is never used for this), and it rotates the room's key when the current epoch is a day old or this device has sent 1000 messages in it. Each of these is a commit that the command publishes and waits for before the message goes out. If another member changed the epoch at the same moment, the server refuses the message as built on a stale epoch (StaleEpoch), and the command catches up on the new epoch and encrypts the message again by itself.

When it returns. Every message is first put in the session's outbox and saved, as typed, in the session's encrypted state (e2e.state in the profile, encrypted like the rest of the end-to-end state under a key derived from the identity's private key), before anything is sent. While connected, the command then returns for each message once the server has written it durably and acknowledged it. While the server cannot be reached (the session is Reconnecting, for example because the server is stopped), the command does not fail and does not wait: it returns at once, the message stays in the outbox marked Pending (with -PassThru its State is Pending), the session's PendingMessages counts it, and the command writes one warning that messages are waiting. Pending messages go by themselves, in the order they were sent and once each, as soon as the session is connected again, also after Disconnect-ChatRoom or a restart of PowerShell (then with the next session of the identity). Each is encrypted only when it really goes, in the room's epoch of that moment and after the steps above, so it is readable by whoever is a member then and by nobody who was removed meanwhile; it keeps its message id through every attempt, so the server stores it once. A message that is refused for good once it goes (for example UserNotFound when the other person of a direct conversation is no longer a user, or NotAMember after you left the room) leaves the outbox: with -PassThru its State becomes Failed with the reason in Problem, and the session's Receive-ChatMessage reports it as a notice, so that nothing is dropped silently. If the command is stopped with Ctrl+C while waiting, the message stays queued and is still delivered.

The per-message key is deleted as soon as the message is encrypted, and the state is saved to the profile before the message leaves, so a crash never reuses a key.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Message  = 'The text to send, at most 64 KiB (65,536 bytes) of UTF-8 per message. Each pipeline input is one message; empty strings are skipped. Alias: Text.'
        Room     = 'The room to send to, joined first if the session has not joined it yet. The default is the session''s only room. A direct conversation can also be named here (for example ''@alice+bob'').'
        To       = 'Sends a direct message to this user instead of a room, in the direct conversation of the two users. When you share a room with the other user, their devices (as verified there) are added to the conversation at once, so they can read it when they next connect. Otherwise the message is returned at once as Pending, waiting for them (WaitingFor), and goes as soon as one of their devices joins the conversation. A user who is not enrolled fails at once with UserNotFound.'
        PassThru = 'Returns an object for each message sent, with the room, the sequence number the server gave it, the text and its State: Sent, or Pending when it waits in the outbox because the server cannot be reached or (WaitingFor) because the other person of a direct message has no device in the conversation yet (the object follows the message: State becomes Sent and Sequence is filled once the server has it, or Failed with Problem). By default the command writes no output.'
        Session  = 'The session to send through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Lines of text, bound to -Message; each is one message.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'By default this cmdlet writes no output.' }
        @{ Type = 'OpenChat.Cmdlets.Client.SentChatMessage'; Description = 'With -PassThru, one object per message sent: Room (the room or direct conversation), Sequence (its number in the room; empty while pending), Text, State (Sent, Pending or Failed), WaitingFor (while Pending for the other person of a direct message: their name), Problem (why it failed), MessageId and QueuedAt.' }
    )
    Notes       = @'
Your own messages come back to you: Receive-ChatMessage returns them too, with IsOwn set. A bot that answers what it reads should skip its own messages.

Sequence numbers are shared by everything the room records (messages, key packages and commits), so consecutive messages can have gaps between their numbers.

One message holds at most 64 KiB of text: 65,536 bytes once encoded as UTF-8 (65,536 ASCII characters, about 32,000 accented ones, about 21,000 in Chinese or Japanese). A longer message is refused before anything is encrypted or sent, with the error id MessageTooLarge (category LimitsExceeded) and a message that says its size and the limit. The error is per message: in Get-Content notes.txt | Send-ChatMessage a line over the limit is reported and the lines after it are still sent (use -ErrorAction Stop to stop at the first refusal instead). Split longer text into several messages.

PendingMessages on the session (Get-ChatSession) counts the messages still in the outbox, and its Outgoing property lists them (the same objects as -PassThru, with WaitingFor). Messages that were pending when the session closed are sent by the next session of the same identity, before anything that session sends to the same room.

Error ids: RoomNotFound, RoomNameInvalid, UserNotFound (no such user, or their certificate was revoked or expired), NotAMember, StaleEpoch, CommitRefused (this device's change of the room's encryption was refused: check the clock), GroupHistoryUnverified, NotConnected, ConnectionLost, CertificateRevoked, RateLimited, MessageTooLarge (over 64 KiB of UTF-8), Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Send a line to the only room of the session'
            Code    = 'Send-ChatMessage ''Deploy of 2026.1 starts in 10 minutes'''
            Remarks = 'The session has joined one room, so the message goes there. With several rooms, add -Room.'
        }
        @{
            Title   = 'Send a file, one message per line'
            Code    = 'Get-Content notes.txt | Send-ChatMessage -Room ops'
            Remarks = 'Each line of notes.txt becomes a message in ops, in order; empty lines are skipped. Use (Get-Content notes.txt -Raw) | Send-ChatMessage -Room ops to send the whole file as one message.'
        }
        @{
            Title   = 'Pipe build output into a room'
            Code    = 'dotnet build 2>&1 | Send-ChatMessage -Room builds'
            Remarks = '2>&1 merges the build''s error stream into the pipeline, so warnings and errors are posted together with the normal output, one message per line, as the build prints them.'
        }
        @{
            Title   = 'Send a direct message and keep a record of it'
            Code    = @'
try {
    Send-ChatMessage -To bob 'Can you review PR 512?' -PassThru -ErrorAction Stop | Export-Csv sent.csv -Append
}
catch {
    if ($_.FullyQualifiedErrorId -like 'UserNotFound,*') { Write-Warning 'There is no user bob on this server.' } else { throw }
}
'@
            Remarks = 'Sends to the direct conversation with Bob (for example @alice+bob) and appends its room, sequence, state and text to sent.csv. A name that is not enrolled on the server fails at once with UserNotFound.'
        }
        @{
            Title   = 'Write to someone who has not been online yet'
            Code    = @'
$m = Send-ChatMessage -To carol 'Welcome! Ping me when you are set up.' -PassThru -WarningAction SilentlyContinue
$m.State, $m.WaitingFor       # Pending, carol: returned at once, waiting for her device
(Get-ChatSession).Outgoing    # the outbox, with WaitingFor carol
# ... once carol has connected for the first time:
$m.State                      # Sent; she reads it with Receive-ChatMessage
'@
            Remarks = 'Carol was enrolled from an invite but has never connected, so no device of hers can read the conversation yet. The message is kept, encrypted, in the outbox (also through Disconnect-ChatRoom or a restart) and is encrypted and sent as soon as her device joins the conversation, which her session does by itself when she first connects. If her certificate is revoked before that, the message fails with UserNotFound and Receive-ChatMessage -IncludeNotice reports that it was not sent.'
        }
        @{
            Title   = 'Post an alert from a scheduled script'
            Code    = @'
$session = Connect-ChatRoom -Identity monitor -Room alerts
try {
    Get-PSDrive -PSProvider FileSystem | Where-Object { $_.Used -and $_.Free / ($_.Used + $_.Free) -lt 0.1 } |
        ForEach-Object { "Drive $($_.Name) on $([Environment]::MachineName): only $([math]::Round($_.Free / 1GB)) GB left" } |
        Send-ChatMessage -Session $session -Room alerts
}
finally { Disconnect-ChatRoom -Session $session }
'@
            Remarks = 'Connects as the identity monitor, sends one message per nearly full disk and disconnects. Send-ChatMessage returns once the server has stored each message, or, if the server went away meanwhile, once the message is kept in the outbox; either way disconnecting right after loses nothing: pending messages go with the next connection of monitor.'
        }
        @{
            Title   = 'Send while the server is down, and see the message go later'
            Code    = @'
$m = Send-ChatMessage -Room ops 'back in 5 minutes' -PassThru
$m.State                      # Pending while the server cannot be reached
(Get-ChatSession).PendingMessages
# ... once the session has reconnected:
$m.State, $m.Sequence         # Sent, and its number in the room
'@
            Remarks = 'With the server unreachable, the command returns at once with a warning and the message Pending; it is kept, encrypted, in the profile and goes by itself when the session reconnects.'
        }
    )
    Links       = @('Receive-ChatMessage', 'Join-ChatRoom', 'Connect-ChatRoom', 'Get-ChatContact', 'about_OpenChat')
}
