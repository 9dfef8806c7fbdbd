#Requires -Version 7.6
# Send-ChatMessage while the server is down (issue 9, item 9): the message is kept, encrypted,
# in the session's outbox and returned at once as pending; PendingMessages counts it; it is
# delivered once, in order, when the server is back, also after the session itself was closed
# and opened again. The Its share one server, stopped and started again on the same port.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-outbox-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function Register-TestUser([string] $UserName) {
        $invite = New-ChatInvite -Path $script:Data -UserName $UserName -Server "127.0.0.1:$($script:Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $script:Root $UserName) -ErrorAction Stop
    }

    function Stop-TestServer {
        Stop-ChatServer -Server $script:Server -Confirm:$false -ErrorAction Stop
    }

    function Start-TestServer {
        $script:Server = Start-ChatServer -Path $script:Data -Port $script:Port -ErrorAction Stop
    }

    function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for: $What" }
            Start-Sleep -Milliseconds 50
        }
    }

    # Every message of a room that arrives within the time, in order.
    function Receive-All($Session, [string] $Room, [int] $Seconds = 8) {
        @(Receive-ChatMessage -Session $Session -Room $Room -Wait -Timeout $Seconds -WarningAction SilentlyContinue)
    }

    # Files under a directory whose bytes contain the text (UTF-8 or UTF-16).
    function Find-TextInFiles([string] $Directory, [string] $Text) {
        $needles = @([Text.Encoding]::UTF8.GetBytes($Text), [Text.Encoding]::Unicode.GetBytes($Text)) |
            ForEach-Object { [Text.Encoding]::Latin1.GetString($_) }
        foreach ($file in Get-ChildItem -LiteralPath $Directory -Recurse -File -Force | Where-Object Extension -ne '.lock') {
            $haystack = [Text.Encoding]::Latin1.GetString([IO.File]::ReadAllBytes($file.FullName))
            if ($needles | Where-Object { $haystack.Contains($_, [StringComparison]::Ordinal) }) { $file.Name }
        }
    }

    $script:Data = Join-Path $script:Root 'data'
    $script:Server = Start-ChatServer -Path $script:Data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
    $script:Port = $script:Server.Port
    $script:Alice = Register-TestUser alice
    $script:Bob = Register-TestUser bob
    $script:sb = Connect-ChatRoom -Identity $script:Bob.Path -ErrorAction Stop
    $null = New-ChatRoom -Name ops -Session $script:sb -ErrorAction Stop
    $script:sa = Connect-ChatRoom -Room ops -Identity $script:Alice.Path -ErrorAction Stop
    Send-ChatMessage -Session $script:sa -Room ops -Message 'before' -ErrorAction Stop
    $null = Receive-All $script:sb ops 3
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Send-ChatMessage while the server is down' {
    AfterEach {
        # A failed It must not leave the next one without a server.
        if ($script:Server.State -ne 'Running') { Start-TestServer }
    }

    It 'returns each message at once as Pending, counts it in PendingMessages, and delivers all once, in order, when the server is back' {
        Stop-TestServer
        Wait-Until { $sa.State -eq 'Reconnecting' } 'alice''s session to notice'

        $watch = [Diagnostics.Stopwatch]::StartNew()
        $sent = @('first offline', 'second offline', 'third offline' |
            Send-ChatMessage -Session $sa -Room ops -PassThru -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue)
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'nothing waits for the server'

        $sent | Should -HaveCount 3
        $sent.State | Should -Be @('Pending', 'Pending', 'Pending')
        $sent | ForEach-Object { $_.Sequence | Should -BeNullOrEmpty }
        $sent.Text | Should -Be @('first offline', 'second offline', 'third offline')
        @($warned) | Should -HaveCount 1 -Because 'the user is told once that the messages wait'
        "$($warned[0])" | Should -Match 'kept'
        $sa.PendingMessages | Should -Be 3
        (Get-ChatSession | Where-Object Id -eq $sa.Id).PendingMessages | Should -Be 3

        Start-TestServer
        Wait-Until { $sa.PendingMessages -eq 0 } 'the outbox to empty' 60
        $sent.State | Should -Be @('Sent', 'Sent', 'Sent')

        $got = @(Receive-All $sb ops | Where-Object Text -like '*offline')
        $got.Text | Should -Be @('first offline', 'second offline', 'third offline') -Because 'each arrives once, in order'
        $got.Sequence | Should -Be $sent.Sequence
        $got.Verified | Should -Be @($true, $true, $true)
    }

    It 'keeps what was sent while offline through Disconnect-ChatRoom, encrypted, for the next session' {
        $canary = 'CANARY-pester-outbox-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Stop-TestServer
        Wait-Until { $sa.State -eq 'Reconnecting' } 'alice''s session to notice'
        $sent = "$canary 1", "$canary 2" | Send-ChatMessage -Session $sa -Room ops -PassThru -WarningAction SilentlyContinue -ErrorAction Stop
        $sent.State | Should -Be @('Pending', 'Pending')
        Disconnect-ChatRoom -Session $sa -ErrorAction Stop
        @(Find-TextInFiles $Alice.Path $canary) | Should -HaveCount 0 -Because 'the outbox is kept encrypted in the profile'

        Start-TestServer
        $script:sa = Connect-ChatRoom -Identity $Alice.Path -ErrorAction Stop
        Wait-Until { $sa.PendingMessages -eq 0 } 'the kept messages to go' 60
        $got = @(Receive-All $sb ops | Where-Object Text -like "$canary*")
        $got.Text | Should -Be @("$canary 1", "$canary 2")
        @(Find-TextInFiles $Alice.Path $canary) | Should -HaveCount 0
    }

    It 'sends a direct message given with -To while offline once the server is back' {
        Stop-TestServer
        Wait-Until { $sa.State -eq 'Reconnecting' } 'alice''s session to notice'
        $sent = Send-ChatMessage -Session $sa -To bob -Message 'psst, offline' -PassThru -WarningAction SilentlyContinue -ErrorAction Stop
        $sent.Room | Should -Be '@alice+bob'
        $sent.State | Should -Be 'Pending'

        Start-TestServer
        Wait-Until { $sa.PendingMessages -eq 0 } 'the direct message to go' 60
        $sent.State | Should -Be 'Sent'
        $got = @(Receive-All $sb '@alice+bob' | Where-Object Text -eq 'psst, offline')
        $got | Should -HaveCount 1
        $got[0].Sender | Should -Be 'alice'
    }
}
