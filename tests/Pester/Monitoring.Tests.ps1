#Requires -Version 7.6
# Watching a server as an admin's monitoring does: Start-ChatServer -MetricsPort (a Prometheus
# scrape during a chat), /healthz and Test-ChatServer (healthy, then with the store broken under
# the running server), and the JSON-lines log on standard output (-LogPath -) of a server in
# another process.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-mon-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    function Register-TestUser($Server, [string] $UserName) {
        $invite = New-ChatInvite -Path $Server.Path -UserName $UserName -Server "127.0.0.1:$($Server.Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (New-TempPath $UserName) -ErrorAction Stop
    }

    # The samples of a Prometheus text exposition: 'name{labels}' -> value, and the TYPE lines.
    function Get-Scrape([string] $Endpoint) {
        $text = (Invoke-WebRequest -Uri "http://$Endpoint/metrics" -UseBasicParsing -ErrorAction Stop).Content
        $samples = @{}
        $types = @{}
        foreach ($line in $text -split "`n") {
            if ($line -match '^# TYPE (\S+) (\S+)$') { $types[$Matches[1]] = $Matches[2]; continue }
            if (-not $line -or $line.StartsWith('#')) { continue }
            $at = $line.LastIndexOf(' ')
            $samples[$line.Substring(0, $at)] = [double]::Parse($line.Substring($at + 1), [Globalization.CultureInfo]::InvariantCulture)
        }
        [pscustomobject]@{ Samples = $samples; Types = $types }
    }

    # The sum of every sample of one metric (all label sets).
    function Get-MetricSum($Scrape, [string] $Name) {
        $sum = 0.0
        foreach ($key in $Scrape.Samples.Keys) {
            if ($key -eq $Name -or $key.StartsWith("$Name{")) { $sum += $Scrape.Samples[$key] }
        }
        $sum
    }

    function Get-Health([string] $Endpoint) {
        $response = Invoke-WebRequest -Uri "http://$Endpoint/healthz" -UseBasicParsing -SkipHttpErrorCheck -ErrorAction Stop
        [pscustomobject]@{ Status = [int]$response.StatusCode; Body = $response.Content | ConvertFrom-Json }
    }
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Start-ChatServer -MetricsPort' {
    BeforeAll {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -MetricsPort 0 -ErrorAction Stop
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'reports the port it picked, on loopback' {
        $server.MetricsPort | Should -BeGreaterThan 0
        $server.MetricsEndpoint | Should -Be "127.0.0.1:$($server.MetricsPort)"
    }

    It 'serves counters that move while users chat' {
        $before = Get-Scrape $server.MetricsEndpoint
        $alice = Register-TestUser $server alice
        $bob = Register-TestUser $server bob
        $sa = Connect-ChatRoom -Identity $alice.Path -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $sa -ErrorAction Stop
        $sb = Connect-ChatRoom -Room ops -Identity $bob.Path -ErrorAction Stop
        $text = 'scrape ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Send-ChatMessage -Session $sa -Room ops -Message $text -ErrorAction Stop
        $got = Receive-ChatMessage -Session $sb -Room ops -Wait -Timeout 15 -WarningAction SilentlyContinue | Where-Object Text -EQ $text | Select-Object -First 1
        $got | Should -Not -BeNullOrEmpty

        $after = Get-Scrape $server.MetricsEndpoint
        $after.Types['openchat_messages_stored_total'] | Should -Be 'counter'
        $after.Types['openchat_commit_duration_seconds'] | Should -Be 'histogram'
        (Get-MetricSum $after 'openchat_messages_stored_total') | Should -BeGreaterThan (Get-MetricSum $before 'openchat_messages_stored_total')
        (Get-MetricSum $after 'openchat_messages_received_total') | Should -BeGreaterThan (Get-MetricSum $before 'openchat_messages_received_total')
        (Get-MetricSum $after 'openchat_events_delivered_total') | Should -BeGreaterThan (Get-MetricSum $before 'openchat_events_delivered_total')
        (Get-MetricSum $after 'openchat_handshakes_total') | Should -BeGreaterOrEqual 4
        (Get-MetricSum $after 'openchat_commit_batch_size_count') | Should -BeGreaterThan 0
        (Get-MetricSum $after 'openchat_connections') | Should -BeGreaterOrEqual 2
        Disconnect-ChatRoom -Session $sa, $sb
    }

    It 'warns when the endpoint is not on loopback' {
        $other = Start-ChatServer -Path (New-TempPath 'data') -Port 0 -MetricsPort 0 -MetricsAddress 0.0.0.0 -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        try {
            ($warnings -join "`n") | Should -Match 'metrics and health endpoint'
            $other.MetricsEndpoint | Should -Be "0.0.0.0:$($other.MetricsPort)"
        }
        finally { Stop-ChatServer -Server $other -Confirm:$false }
    }

    It 'refuses a metrics port already in use, leaving nothing running' {
        $busy = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $busy.Start()
        try {
            $dir = New-TempPath 'data'
            { Start-ChatServer -Path $dir -Port 0 -MetricsPort $busy.LocalEndpoint.Port -ErrorAction Stop } | Should -Throw -ErrorId 'AddressInUse,OpenChat.Cmdlets.Server.StartChatServerCommand'
            @(Get-ChatServer -Path $dir) | Should -HaveCount 0
            # The data directory is free again: a server starts on it.
            $again = Start-ChatServer -Path $dir -Port 0 -ErrorAction Stop
            Stop-ChatServer -Server $again -Confirm:$false
        }
        finally { $busy.Stop() }
    }
}

Describe 'Health: /healthz and Test-ChatServer' {
    BeforeAll {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -MetricsPort 0 -ErrorAction Stop
    }

    AfterAll {
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'is healthy while the server works' {
        $health = Get-Health $server.MetricsEndpoint
        $health.Status | Should -Be 200
        $health.Body.status | Should -Be 'ok'
        $health.Body.checks.listener.status | Should -Be 'ok'
        $health.Body.checks.store.status | Should -Be 'ok'

        $report = Test-ChatServer -Path $data
        $report.Healthy | Should -BeTrue
        @($report.Checks.Name) | Should -Be @('listener', 'store')
        $report.Failing | Should -HaveCount 0
        (Test-ChatServer -Uri "http://$($server.MetricsEndpoint)").Healthy | Should -BeTrue
        ($server | Test-ChatServer).Healthy | Should -BeTrue
    }

    It 'says ServerNotRunning for a data directory no server of this session serves' {
        { Test-ChatServer -Path (New-TempPath 'nothing') -ErrorAction Stop } | Should -Throw -ErrorId 'ServerNotRunning,OpenChat.Cmdlets.Server.TestChatServerCommand'
    }

    It 'reports an endpoint that does not answer as unhealthy' {
        $closed = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $closed.Start()
        $port = $closed.LocalEndpoint.Port
        $closed.Stop()
        $report = Test-ChatServer -Uri "http://127.0.0.1:$port"
        $report.Healthy | Should -BeFalse
        $report.Checks[0].Name | Should -Be 'endpoint'
    }

    It 'is unhealthy, with 503 and the reason, once the message database is replaced under the running server' {
        $db = Join-Path $data 'messages.db'
        foreach ($file in $db, "$db-wal", "$db-shm") { Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue }
        [IO.File]::WriteAllText($db, ('not a database ' * 300))

        $health = Get-Health $server.MetricsEndpoint
        $health.Status | Should -Be 503
        $health.Body.status | Should -Be 'failing'
        $health.Body.checks.store.status | Should -Be 'failing'
        $health.Body.checks.store.detail | Should -Match 'Sqlite'
        $health.Body.checks.listener.status | Should -Be 'ok'

        $report = Test-ChatServer -Path $data
        $report.Healthy | Should -BeFalse
        ($report.Checks | Where-Object Name -EQ 'store').Healthy | Should -BeFalse
        $report.Failing | Should -Match '^store: '
        (Test-ChatServer -Uri "http://$($server.MetricsEndpoint)/healthz").Healthy | Should -BeFalse

        $scrape = Get-Scrape $server.MetricsEndpoint
        $scrape.Samples.Keys | Where-Object { $_ -like 'openchat_store_errors_total{*operation="health"*' } | Should -Not -BeNullOrEmpty
    }
}

Describe 'Start-ChatServer -LogPath - (standard output)' {
    It 'writes the JSON-lines log of a server in another process to its standard output' {
        $data = New-TempPath 'data'
        $pwsh = (Get-Process -Id $PID).Path
        $script = @"
Import-Module '$($env:OPENCHAT_MODULE)'
`$server = Start-ChatServer -Path '$data' -Port 0 -LogPath - -ErrorAction Stop
Stop-ChatServer -Server `$server -Confirm:`$false
"@
        # Under 'dotnet pwsh' this process is dotnet itself.
        $output = if ((Split-Path -Leaf $pwsh) -like 'dotnet*') {
            & $pwsh pwsh -NoProfile -NonInteractive -Command $script 2>&1
        }
        else {
            & $pwsh -NoProfile -NonInteractive -Command $script 2>&1
        }
        $LASTEXITCODE | Should -Be 0
        $events = @($output | ForEach-Object { "$_" } | Where-Object { $_.StartsWith('{') } | ForEach-Object { $_ | ConvertFrom-Json -ErrorAction Stop })
        ($events | Where-Object event -EQ 'ServerStarted').eventId | Should -Be 1000
        ($events | Where-Object event -EQ 'ServerStopped').eventId | Should -Be 1001
        Test-Path -LiteralPath (Join-Path (Get-Location).Path '-') | Should -BeFalse -Because 'the log went to standard output, not a file named -'
    }
}
