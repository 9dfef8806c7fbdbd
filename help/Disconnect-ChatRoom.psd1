@{
    Synopsis    = 'Closes chat sessions opened with Connect-ChatRoom.'
    Description = @'
Closes the given sessions, or every session of this PowerShell process with -All. Without -Session and -All it closes the default session: the newest one that is not already closed. When there is no session to close, the command does nothing.

Disconnecting is not leaving: the user stays a member of every room and can connect again later, and other members see the user as away once their last session has closed. To end a membership, use Exit-ChatRoom.

Before the connection is closed, the session saves its state (the last sequence read per room and any messages the server has not acknowledged yet) to state.json in the profile directory, and its end-to-end state, which includes the messages still pending in its outbox (for example those sent while the server could not be reached) and those received but not yet read, to e2e.state, encrypted. Unacknowledged and pending messages are sent, with their original ids and in order, the next time the identity connects. Afterwards the session's State is Closed and it stops reconnecting.
'@
    Parameters  = @{
        Session  = 'The sessions to close, as returned by Connect-ChatRoom. Accepts pipeline input by value. When omitted (and -All is not given), the newest open session is closed.'
        All      = 'Closes every session opened in this PowerShell process, including any that have already closed.'
        PassThru = 'Writes each closed session to the pipeline, with the State Closed. By default the command writes no output.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatSession'; Description = 'Sessions from Connect-ChatRoom, bound to -Session.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'By default this cmdlet writes no output.' }
        @{ Type = 'OpenChat.ChatSession'; Description = 'With -PassThru, each session that was closed.' }
    )
    Notes       = @'
Closed sessions are forgotten: they no longer count as the default session of the other room commands.

If PowerShell exits without Disconnect-ChatRoom, the connection simply drops. Unacknowledged messages are saved to the profile as soon as they are sent, and the read positions are saved about twice a second, so the worst case is that some history is fetched again on the next connection.
'@
    Examples    = @(
        @{
            Title   = 'Close the current session'
            Code    = 'Disconnect-ChatRoom'
            Remarks = 'Closes the newest open session. The user remains a member of its rooms.'
        }
        @{
            Title   = 'Close one of several sessions'
            Code    = @'
$bot = Connect-ChatRoom -Identity alerts-bot -Room alerts
$me  = Connect-ChatRoom -Identity alice -Room general
Disconnect-ChatRoom -Session $bot -PassThru | Format-Table UserName, State, PendingMessages
'@
            Remarks = 'Closes only the bot''s session and shows it with the State Closed. PendingMessages greater than 0 means messages wait in the outbox for the next connection.'
        }
        @{
            Title   = 'Close every session, for example at the end of a script'
            Code    = @'
try {
    Connect-ChatRoom -Identity alice -Room general | Out-Null
    Get-ChatRoomMember general
}
finally {
    Disconnect-ChatRoom -All
}
'@
            Remarks = 'The finally block closes all sessions even when the script fails or is stopped with Ctrl+C.'
        }
    )
    Links       = @('Connect-ChatRoom', 'Exit-ChatRoom', 'about_OpenChat')
}
