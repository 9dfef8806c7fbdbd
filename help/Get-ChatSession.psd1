@{
    Synopsis    = 'Lists the chat sessions open in this PowerShell session.'
    Description = @'
Connect-ChatRoom remembers every session it opens, and the other client cmdlets use the newest open one when -Session is not given. Get-ChatSession lists them, with the user, the server, the connection state (Connected, Reconnecting or Closed), the rooms joined and the number of messages still waiting for the server's acknowledgement.

Sessions closed with Disconnect-ChatRoom are forgotten; a session that closed by itself (for example because its certificate was revoked) stays listed with State Closed until it is disconnected.
'@
    Parameters  = @{
        Id = 'Returns only the sessions with these ids (the Id property).'
    }
    Inputs      = @(
        @{ Type = 'None'; Description = 'This cmdlet does not take pipeline input.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatSession'; Description = 'One object per session: Id, UserName, Server, Identity, State, Rooms, PendingMessages and Outgoing (the messages in the outbox, as Send-ChatMessage -PassThru returns them, with WaitingFor for a direct message that waits for the other person), with StateChanged and PresenceChanged events.' }
    )
    Notes       = @'
Sessions live in this PowerShell process only; they are not shared with other PowerShell windows.

An identity can have only one connected session at a time, in any process, because the session holds its end-to-end encryption state. Connecting it a second time fails with ProfileInUse: find the session here and close it with Disconnect-ChatRoom first.

PendingMessages counts what the session has sent that the server has not stored yet: messages in the outbox (for example those sent while Reconnecting, which wait there, kept encrypted in the profile, and go by themselves once connected), and the key packages and commits of the encryption not yet acknowledged. Messages received but not yet read with Receive-ChatMessage are not counted.
'@
    Examples    = @(
        @{
            Title   = 'See which sessions are open'
            Code    = 'Get-ChatSession'
            Remarks = 'Shows one row per session with its user, server, state and rooms.'
        }
        @{
            Title   = 'Close every session that has stopped'
            Code    = 'Get-ChatSession | Where-Object State -eq Closed | Disconnect-ChatRoom'
            Remarks = 'Disconnect-ChatRoom takes sessions from the pipeline and forgets them.'
        }
        @{
            Title   = 'Use a particular session'
            Code    = 'Get-ChatRoom -Session (Get-ChatSession -Id 2)'
            Remarks = 'Lists rooms through session 2 rather than the newest one.'
        }
    )
    Links       = @('Connect-ChatRoom', 'Disconnect-ChatRoom', 'about_OpenChat')
}
