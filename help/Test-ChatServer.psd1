@{
    Synopsis    = 'Checks whether a chat server is healthy: its listener, its store, and its database and bus where configured.'
    Description = @'
Runs the server's health checks now and writes one OpenChat.ChatServerHealth object per server: Server (the data directory, or the URI asked), Healthy (true when every check passed), Checks (each with Name, Healthy and Detail, the reason when it failed) and Failing (the failed checks as "name: reason").

The checks:
- listener: the server is running and its listener accepts connections.
- store: the message store and the CA store answer a real, cheap query. With SQLite the check also opens messages.db afresh, so a file deleted or replaced under the running server is found (the server's own connection would go on working on the old file, and lose what it writes at the next start).
- database: only with -Database; a new connection to PostgreSQL answers SELECT 1.
- bus: only with -Backplane; the node is connected to the NATS server (while it is not, nodes exchange events through the database, more slowly).
A check that takes longer than 5 seconds fails with "no answer within 5 s".

Without parameters it checks every server started in this PowerShell session; -Path picks the server of one data directory, -Server the server objects given or piped in. For a server in another process (under systemd, or Start-ChatServer -Wait elsewhere) give -Uri, the address of its metrics endpoint (Start-ChatServer -MetricsPort): the command reads /healthz there. A URI that does not answer gives an unhealthy result with the check "endpoint", not an error, so a monitoring script needs only to look at Healthy.

The same report is served as JSON at /healthz, with status 200 when healthy and 503 when not, for load balancers, systemd watchdogs and monitoring systems. A failed check is also logged (HealthCheckFailed, 1522) and a failed store check counted (openchat_store_errors_total{operation="health"}).
'@
    Parameters  = @{
        Path   = 'The data directory of a server started in this session. Without it (and without -Server or -Uri) every server of the session is checked. When none serves that directory, the error ServerNotRunning is written.'
        Server = 'Server objects from Start-ChatServer or Get-ChatServer. Accepts pipeline input by value.'
        Uri    = 'The metrics endpoint of a server in another process, such as http://127.0.0.1:9464 (its /healthz is asked; a URI that already ends in /healthz is used as it is).'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatServer'; Description = 'Server objects, bound to -Server.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatServerHealth'; Description = 'One health report per server checked.' }
    )
    Notes       = @'
The error id ServerNotRunning (category ObjectNotFound) means no server of that data directory runs in this session.

/healthz is served on the metrics endpoint only; start the server with -MetricsPort for it (and for Test-ChatServer -Uri).
'@
    Examples    = @(
        @{
            Title   = 'Check the server of this session'
            Code    = @'
Start-ChatServer -Path ./chat | Out-Null
Test-ChatServer -Path ./chat
'@
            Remarks = 'Shows Healthy and the checks listener and store; each check that failed says why in Detail.'
        }
        @{
            Title   = 'Check a server running in another process, through its metrics endpoint'
            Code    = @'
# started elsewhere with: Start-ChatServer -Path /srv/chat -MetricsPort 9464 -Wait
$health = Test-ChatServer -Uri http://127.0.0.1:9464
if (-not $health.Healthy) { Write-Warning ($health.Failing -join '; ') }
'@
            Remarks = 'Reads http://127.0.0.1:9464/healthz. A server that does not answer is reported unhealthy with the check "endpoint".'
        }
        @{
            Title   = 'Fail a script when any server of the session is unhealthy'
            Code    = 'Get-ChatServer | Test-ChatServer | Where-Object { -not $_.Healthy } | ForEach-Object { throw "$_" }'
            Remarks = 'Each unhealthy server stops the script with its failing checks in the message.'
        }
    )
    Links       = @('Start-ChatServer', 'Get-ChatServer', 'about_OpenChat')
}
