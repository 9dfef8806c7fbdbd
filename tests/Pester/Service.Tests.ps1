#Requires -Version 7.6
# Running the server as a service: docs/systemd/openchat.service passes systemd-analyze verify
# without a warning, and a server started with -Wait in another pwsh process stops cleanly on
# SIGTERM (exit 0, ServerStopped logged, nothing acknowledged lost).

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-service-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    # Polls a condition until it is true or the deadline passes; returns whether it became true.
    function Wait-Condition {
        param([Parameter(Mandatory)] [scriptblock] $Condition, [double] $TimeoutSeconds = 10)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            if (& $Condition) { return $true }
            if ([DateTime]::UtcNow -ge $deadline) { return $false }
            Start-Sleep -Milliseconds 100
        }
    }

    function Get-LogEvent([string] $Path) {
        if (-not (Test-Path -LiteralPath $Path)) { return @() }
        @(Get-Content -LiteralPath $Path | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json -ErrorAction Stop })
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

Describe 'The systemd unit in docs/systemd' {
    BeforeAll {
        $unit = Join-Path $PSScriptRoot '../../docs/systemd/openchat.service'
        $verify = Get-Command systemd-analyze -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1

        # systemd-analyze checks that ExecStart's binary exists: a copy names the pwsh this runs under.
        function Test-Unit([string] $Text) {
            $folder = New-TempPath 'unit'
            $null = New-Item -ItemType Directory -Path $folder
            $copy = Join-Path $folder 'openchat.service'
            Set-Content -LiteralPath $copy -Value $Text
            $output = & $verify.Source verify $copy 2>&1 | ForEach-Object { "$_" }
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | Where-Object { $_ -match 'openchat\.service' }) }
        }
        $text = (Get-Content -LiteralPath $unit -Raw).Replace('ExecStart=/usr/bin/pwsh ', "ExecStart=$((Get-Process -Id $PID).Path) ")
    }

    It 'runs pwsh with Start-ChatServer -ConfigurationPath ... -Wait as a dedicated user, hardened, stopped by SIGTERM' {
        $content = Get-Content -LiteralPath $unit -Raw
        $content | Should -Match '(?m)^ExecStart=/usr/bin/pwsh -NoProfile .*Import-Module OpenChat; Start-ChatServer -ConfigurationPath /etc/openchat/server\.psd1 -Wait"$'
        $content | Should -Match '(?m)^User=openchat$'
        foreach ($line in 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=',
            'SystemCallFilter=@system-service', 'KillSignal=SIGTERM', 'ReadWritePaths=/var/lib/openchat') {
            $content | Should -Match "(?m)^$([regex]::Escape($line))" -Because "the unit sets $line"
        }
        $content | Should -Match '(?m)^RestrictAddressFamilies=.*AF_INET6'
        $content | Should -Match '(?m)^TimeoutStopSec='
    }

    It 'passes systemd-analyze verify without a warning about the unit' {
        $verify | Should -Not -BeNullOrEmpty -Because 'systemd-analyze is part of this suite''s toolchain'
        $result = Test-Unit $text
        $result.Output | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
    }

    It 'would notice a misspelt directive (the check can fail)' {
        $result = Test-Unit ($text -replace '(?m)^ProtectSystem=strict', 'ProtectSytem=strict')
        $result.Output -join "`n" | Should -Match 'ProtectSytem'
    }
}

Describe 'Start-ChatServer -Wait in another process stops cleanly on SIGTERM' -Skip:$IsWindows {
    BeforeAll {
        $data = New-TestCa -WithServer
        $log = Join-Path (New-TempPath 'logs') 'server.jsonl'
        $config = (New-TempPath 'server') + '.psd1'
        Set-Content -LiteralPath $config -Value "@{ Path = '$data'; Port = 0; LogPath = '$log' }"

        $pwsh = (Get-Process -Id $PID).Path
        $arguments = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') {
            # Under `dotnet pwsh` this process is the dotnet host running pwsh.dll.
            $arguments += Join-Path $PSHOME 'pwsh.dll'
        }
        $module = $env:OPENCHAT_MODULE
        $arguments += '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$module'; Start-ChatServer -ConfigurationPath '$config' -Wait | Out-Null"
        $stdout = New-TempPath 'stdout'
        $stderr = New-TempPath 'stderr'
        $child = Start-Process -FilePath $pwsh -ArgumentList $arguments -PassThru -RedirectStandardOutput $stdout -RedirectStandardError $stderr

        $started = Wait-Condition { @(Get-LogEvent $log | Where-Object event -EQ 'ServerStarted').Count -gt 0 -or $child.HasExited } -TimeoutSeconds 90
        $endpoint = (@(Get-LogEvent $log | Where-Object event -EQ 'ServerStarted')[0]).Endpoint
        $port = [int]($endpoint -split ':')[-1]
    }

    AfterAll {
        if ($child -and -not $child.HasExited) { $child.Kill() }
    }

    It 'serves, takes SIGTERM, exits 0, logs the stop, and keeps every acknowledged message' {
        $started | Should -BeTrue -Because "the server in the child logs ServerStarted ($(Get-Content $stderr -Raw -ErrorAction SilentlyContinue))"
        $child.HasExited | Should -BeFalse

        $users = foreach ($name in 'alice', 'bob') {
            $invite = New-ChatInvite -Path $data -UserName $name -Server "127.0.0.1:$port" -ErrorAction Stop
            Register-ChatUser -Invite $invite.Invite -ProfilePath (New-TempPath $name) -ErrorAction Stop
        }
        $sa = Connect-ChatRoom -Identity $users[0].Path -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $sa -ErrorAction Stop
        $sb = Connect-ChatRoom -Room ops -Identity $users[1].Path -ErrorAction Stop
        Disconnect-ChatRoom -Session $sb -ErrorAction Stop

        # -PassThru returns once the server acknowledged each message (it carries its sequence).
        $texts = 1..20 | ForEach-Object { "before SIGTERM $_ " + [guid]::NewGuid().ToString('N').Substring(0, 6) }
        $sent = @($texts | Send-ChatMessage -Session $sa -Room ops -PassThru -ErrorAction Stop)
        $sent | Should -HaveCount 20
        $sent | ForEach-Object { $_.Sequence | Should -BeGreaterThan 0 }

        & kill -TERM $child.Id
        $child.WaitForExit(30000) | Should -BeTrue -Because 'pwsh ends within 30 seconds of SIGTERM'
        $child.ExitCode | Should -Be 0 -Because "a SIGTERM stop is a clean stop ($(Get-Content $stderr -Raw -ErrorAction SilentlyContinue))"

        $applied = @(Get-LogEvent $log | Where-Object event -EQ 'ConfigurationApplied')
        $applied | Should -HaveCount 1
        $applied[0].eventId | Should -Be 1510
        $applied[0].ConfigurationPath | Should -Be $config
        $applied[0].FileKeys | Should -Be 'Path, LogPath, Port'
        $last = @(Get-LogEvent $log | Select-Object -Last 3)
        $last.event | Should -Contain 'ServerStopped'
        (Get-Content -LiteralPath $stdout -Raw) | Should -Match 'Serving'
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue

        # Bob was away for all of it; the restarted server hands him everything acknowledged.
        $again = Start-ChatServer -Path $data -Port $port -ErrorAction Stop
        try {
            $sb = Connect-ChatRoom -Room ops -Identity $users[1].Path -ErrorAction Stop
            $got = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 20 -Timeout 30 -WarningAction SilentlyContinue -ErrorAction Stop)
            $got.Text | Should -Be $texts
            $got.Verified | Should -Not -Contain $false
        }
        finally {
            Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
            Stop-ChatServer -Server $again -Confirm:$false
        }
    }
}
