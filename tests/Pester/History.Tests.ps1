#Requires -Version 7.6
# History on the device (issue 11): Get-ChatMessage after a reconnect and after the session is
# closed and opened again (-Last, -Match, -From, -Room), unread counts that survive both and never
# count one's own messages, and no message text or room name in clear in any profile file.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-hist-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    function Register-TestUser($Server, [string] $UserName) {
        $invite = New-ChatInvite -Path $Server.Path -UserName $UserName -Server "127.0.0.1:$($Server.Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (New-TempPath $UserName) -ErrorAction Stop
    }

    # Polls until the condition holds (no fixed sleeps); fails the test after the deadline.
    function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for $What" }
            Start-Sleep -Milliseconds 50
        }
    }

    # Files under a directory whose bytes hold the text (UTF-8 or UTF-16). Run once the session
    # is closed, so no file is held open.
    function Find-TextInFiles([string] $Directory, [string] $Text) {
        $latin1 = [Text.Encoding]::Latin1
        $needles = @(
            $latin1.GetString([Text.Encoding]::UTF8.GetBytes($Text))
            $latin1.GetString([Text.Encoding]::Unicode.GetBytes($Text))
        )
        foreach ($file in Get-ChildItem -LiteralPath $Directory -Recurse -File -Force) {
            $haystack = $latin1.GetString([IO.File]::ReadAllBytes($file.FullName))
            foreach ($needle in $needles) {
                if ($haystack.IndexOf($needle, [StringComparison]::Ordinal) -ge 0) { $file.FullName; break }
            }
        }
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

Describe 'History on the device' {
    BeforeAll {
        $script:Data = New-TempPath 'data'
        $script:Server = Start-ChatServer -Path $script:Data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $script:Port = $script:Server.Port
        $script:Alice = Register-TestUser $script:Server alice
        $script:Bob = Register-TestUser $script:Server bob
        $script:Tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Room = "hist$($script:Tag)"
        $script:Canary = "CANARY-hist-$($script:Tag)"

        $script:Sb = Connect-ChatRoom -Identity $script:Bob.Path -ErrorAction Stop
        $null = New-ChatRoom -Name $script:Room -Session $script:Sb -ErrorAction Stop
        $script:Sa = Connect-ChatRoom -Room $script:Room -Identity $script:Alice.Path -ErrorAction Stop
        Send-ChatMessage -Session $script:Sa -Room $script:Room "$($script:Canary) from alice" -ErrorAction Stop
        Send-ChatMessage -Session $script:Sb -Room $script:Room "hello alice" -ErrorAction Stop
        Send-ChatMessage -Session $script:Sb -Room $script:Room "deploy 42 is out" -ErrorAction Stop
        $sa = $script:Sa
        Wait-Until { @(Get-ChatMessage -Session $sa -Room $script:Room).Count -eq 3 } 'alice to have all three in her history'
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    }

    It 'returns the history newest last with -Last, -Match and -From, without marking anything read' {
        $last = @(Get-ChatMessage -Session $script:Sa -Room $script:Room -Last 2 -ErrorAction Stop)
        $last.Text | Should -Be @('hello alice', 'deploy 42 is out')
        $last[0] | Should -BeOfType ([OpenChat.ChatMessage])
        $last.Sender | Should -Be @('bob', 'bob')
        $last.Verified | Should -Be @($true, $true)
        $last[1].Sequence | Should -BeGreaterThan $last[0].Sequence
        (Get-ChatMessage -Session $script:Sa -Match 'DEPLOY \d+').Text | Should -Be 'deploy 42 is out'
        (Get-ChatMessage -Session $script:Sa -Room $script:Room -From ALICE).IsOwn | Should -Be $true
        @(Get-ChatMessage -Session $script:Sa -Room $script:Room -Since (Get-Date).AddHours(1)) | Should -HaveCount 0
        @(Get-ChatMessage -Session $script:Sa -Room $script:Room -IncludeNotice | Where-Object IsNotice) | Should -Not -BeNullOrEmpty
        # Bob's two are unread for alice; her own never counts.
        $script:Sa.Unread[$script:Room] | Should -Be 2
    }

    It 'refuses an invalid -Match pattern with MatchPatternInvalid' {
        $record = Get-ChatErrorRecord { Get-ChatMessage -Session $script:Sa -Match '([unclosed' -ErrorAction Stop }
        Get-ErrorId $record | Should -Be 'MatchPatternInvalid'
    }

    It 'keeps history and unread counts through a reconnect' {
        Stop-ChatServer -Server $script:Server -Confirm:$false -ErrorAction Stop
        $sa = $script:Sa
        Wait-Until { $sa.State -ne 'Connected' } 'alice to notice the server went'
        # Offline, the history is still there.
        (Get-ChatMessage -Session $sa -Room $script:Room -Last 1).Text | Should -Be 'deploy 42 is out'
        $script:Server = Start-ChatServer -Path $script:Data -Port $script:Port -Address 127.0.0.1 -ErrorAction Stop
        Wait-Until { $sa.State -eq 'Connected' } 'alice to reconnect'
        Send-ChatMessage -Session $script:Sb -Room $script:Room "after the reconnect" -ErrorAction Stop
        Wait-Until { @(Get-ChatMessage -Session $sa -Room $script:Room).Count -eq 4 } 'the message after the reconnect'
        (Get-ChatMessage -Session $sa -Room $script:Room -Last 2).Text | Should -Be @('deploy 42 is out', 'after the reconnect')
        $sa.Unread[$script:Room] | Should -Be 3
    }

    It 'keeps history and unread counts when the session is closed and opened again, and reading moves them' {
        Disconnect-ChatRoom -Session $script:Sa -ErrorAction Stop
        $script:Sa = Connect-ChatRoom -Identity $script:Alice.Path -ErrorAction Stop
        (Get-ChatMessage -Room $script:Room -Last 3).Text | Should -Be @('hello alice', 'deploy 42 is out', 'after the reconnect')
        (Get-ChatMessage -Room $script:Room -Match 'canary').Text | Should -Be "$($script:Canary) from alice"
        $script:Sa.Unread[$script:Room] | Should -Be 3

        $read = @(Receive-ChatMessage -Session $script:Sa -Room $script:Room -ErrorAction Stop)
        $read.Text | Should -Contain 'after the reconnect'
        $script:Sa.Unread.ContainsKey($script:Room) | Should -BeFalse
        Disconnect-ChatRoom -Session $script:Sa -ErrorAction Stop
        $script:Sa = Connect-ChatRoom -Identity $script:Alice.Path -ErrorAction Stop
        $script:Sa.Unread.ContainsKey($script:Room) | Should -BeFalse
        @(Get-ChatMessage -Room $script:Room) | Should -HaveCount 4
    }

    It 'leaves no message text and no room name in clear in any profile file' {
        Disconnect-ChatRoom -All -ErrorAction Stop
        Test-Path -LiteralPath (Join-Path $script:Alice.Path 'history.db') | Should -BeTrue
        foreach ($profile in $script:Alice.Path, $script:Bob.Path) {
            @(Find-TextInFiles $profile $script:Canary) | Should -HaveCount 0
            @(Find-TextInFiles $profile 'deploy 42') | Should -HaveCount 0
            @(Find-TextInFiles $profile $script:Room) | Should -HaveCount 0
        }
    }
}
