@{
    Synopsis    = 'Stops chat servers running in this PowerShell session.'
    Description = @'
Stops servers that Start-ChatServer started in this PowerShell process: either the server objects given to -Server (or piped in), or every running server with -All.

Stopping is graceful. The server stops accepting connections, says goodbye to every connected client (reason ServerShutdown), gives the connections up to five seconds to close, then cuts any that remain. Messages still being written are finished first; every message the server acknowledged is already in messages.db, so nothing acknowledged is lost. The data directory is left as it is, and Start-ChatServer on the same path resumes with the same rooms, members and history.

Clients are not told to give up: their sessions go to the Reconnecting state and keep trying, so they resume by themselves if the server is started again at the same address.

The command supports -WhatIf and -Confirm. Its ConfirmImpact is Medium, so it does not ask unless $ConfirmPreference is Medium or lower or -Confirm is given. Stopping a server that has already stopped does nothing.
'@
    Parameters  = @{
        Server   = 'The servers to stop, as returned by Start-ChatServer or Get-ChatServer. Accepts pipeline input by value.'
        All      = 'Stops every server started in this PowerShell process.'
        PassThru = 'Writes each stopped server object to the pipeline. Its State is then Stopped. By default the command writes no output.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatServer'; Description = 'Server objects from Start-ChatServer or Get-ChatServer, bound to -Server.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'By default this cmdlet writes no output.' }
        @{ Type = 'OpenChat.ChatServer'; Description = 'With -PassThru, each server that was stopped.' }
    )
    Notes       = @'
A server started with Start-ChatServer -Wait is stopped with Ctrl+C in the session that runs it.

Stopped servers are no longer listed by Get-ChatServer.
'@
    Examples    = @(
        @{
            Title   = 'Stop the server you started'
            Code    = @'
$server = Start-ChatServer -Path ./chat
# ...
Stop-ChatServer $server
'@
            Remarks = 'Closes every client connection and stops listening. ./chat keeps all rooms and messages.'
        }
        @{
            Title   = 'Stop the server of one data directory'
            Code    = 'Get-ChatServer -Path /srv/chat | Stop-ChatServer -PassThru'
            Remarks = 'Pipes the server that serves /srv/chat into Stop-ChatServer and shows it afterwards with the State Stopped.'
        }
        @{
            Title   = 'Stop every server in the session, for example at the end of a test'
            Code    = 'Stop-ChatServer -All -Confirm:$false'
            Remarks = 'Stops all servers started in this PowerShell process without asking.'
        }
        @{
            Title   = 'Preview what would be stopped'
            Code    = 'Stop-ChatServer -All -WhatIf'
            Remarks = 'Prints a "What if" line for each running server (its endpoint and data directory) and stops nothing.'
        }
    )
    Links       = @('Start-ChatServer', 'Get-ChatServer', 'about_OpenChat')
}
