#Requires -Version 7.6
# Direct messages to someone who has never been online (issue 11, offline delivery): bob is
# registered from an invite but never connects; alice's Send-ChatMessage -To bob returns the
# message at once as Pending, waiting for bob (no wait for him, no PeerNotJoined); it is kept,
# encrypted, through Disconnect-ChatRoom and Connect-ChatRoom, and bob reads it when he first
# connects. A user who is not enrolled is a clear error, and a message waiting for someone
# revoked before they ever connected is reported not sent. "At once" is shown as a behaviour
# (Pending, waiting for bob, while bob has never connected), never with a timing.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-offline-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function Register-TestUser([string] $UserName) {
        $invite = New-ChatInvite -Path $script:Data -UserName $UserName -Server "127.0.0.1:$($script:Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $script:Root $UserName) -ErrorAction Stop
    }

    function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for: $What" }
            Start-Sleep -Milliseconds 50
        }
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
    $script:Bob = Register-TestUser bob       # registered, never connected
    $script:Carol = Register-TestUser carol   # registered, never connected, revoked below
    $script:sa = Connect-ChatRoom -Identity $script:Alice.Path -ErrorAction Stop
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Send-ChatMessage -To someone who has never been online' {
    It 'returns the messages at once as Pending for bob, keeps them through a reconnect, and bob reads them, in order, when he first connects' {
        $canary = 'CANARY-offline-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $texts = "$canary 1", "$canary 2", "$canary 3"
        $sent = @($texts | Send-ChatMessage -Session $sa -To bob -PassThru -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue)

        # Returned while bob has never connected: the call did not wait for him.
        $sent | Should -HaveCount 3
        $sent.Room | Should -Be @('@alice+bob', '@alice+bob', '@alice+bob')
        $sent.State | Should -Be @('Pending', 'Pending', 'Pending')
        $sent.WaitingFor | Should -Be @('bob', 'bob', 'bob')
        $sent | ForEach-Object { $_.Sequence | Should -BeNullOrEmpty }
        @($warned) | Should -HaveCount 1 -Because 'the user is told once that the messages wait'
        "$($warned[0])" | Should -Match 'bob'
        "$($sent[0])" | Should -Match 'waiting for bob'

        $session = Get-ChatSession -Id $sa.Id
        $session.PendingMessages | Should -Be 3
        $session.Outgoing.Text | Should -Be $texts
        $session.Outgoing.WaitingFor | Should -Be @('bob', 'bob', 'bob')

        # Alice goes away and comes back: the messages are still there, kept encrypted meanwhile.
        Disconnect-ChatRoom -Session $sa -ErrorAction Stop
        @(Find-TextInFiles $Alice.Path $canary) | Should -HaveCount 0 -Because 'the outbox is kept encrypted in the profile'
        $script:sa = Connect-ChatRoom -Identity $Alice.Path -ErrorAction Stop
        $sa.PendingMessages | Should -Be 3
        $sa.Outgoing.Text | Should -Be $texts
        Wait-Until { @($sa.Outgoing | Where-Object WaitingFor -eq 'bob').Count -eq 3 } 'the kept messages to wait for bob again'

        # Bob connects for the first time.
        $script:sb = Connect-ChatRoom -Identity $Bob.Path -ErrorAction Stop
        $got = @(Receive-ChatMessage -Session $sb -Room '@alice+bob' -Wait -Count 3 -Timeout 60 -WarningAction SilentlyContinue)
        $got.Text | Should -Be $texts -Because 'each arrives once, in order'
        $got.Sender | Should -Be @('alice', 'alice', 'alice')
        $got.Verified | Should -Be @($true, $true, $true)
        Wait-Until { $sa.PendingMessages -eq 0 } 'alice''s outbox to empty'
        @(Receive-ChatMessage -Session $sb -Room '@alice+bob' -Wait -Timeout 2 -WarningAction SilentlyContinue) | Should -HaveCount 0 -Because 'nothing arrives twice'
    }

    It 'refuses a direct message to someone who is not enrolled at once, and queues nothing' {
        $err = Get-ChatErrorRecord { Send-ChatMessage -Session $sa -To dave -Message 'hello?' }
        Get-ErrorId $err | Should -Be 'UserNotFound'
        $sa.PendingMessages | Should -Be 0
    }

    It 'reports a message waiting for someone revoked before they ever connected as not sent, with the reason' {
        $sent = Send-ChatMessage -Session $sa -To carol -Message 'for carol' -PassThru -WarningAction SilentlyContinue -ErrorAction Stop
        $sent.State | Should -Be 'Pending'
        $sent.WaitingFor | Should -Be 'carol'

        Disconnect-ChatRoom -Session $sa -ErrorAction Stop
        Revoke-ChatCertificate -Path $Data -UserName carol -Confirm:$false -ErrorAction Stop
        $script:sa = Connect-ChatRoom -Identity $Alice.Path -ErrorAction Stop

        Wait-Until { $sa.PendingMessages -eq 0 } 'the message to leave the outbox'
        $notices = @(Receive-ChatMessage -Session $sa -Room '@alice+carol' -IncludeNotice -Wait -Timeout 5 -WarningAction SilentlyContinue |
            Where-Object Text -like '*for carol*')
        $notices | Should -HaveCount 1
        $notices[0].IsNotice | Should -BeTrue
        $notices[0].Text | Should -Match 'for carol'
        $notices[0].Text | Should -Match 'revoked'
        (Get-ErrorId (Get-ChatErrorRecord { Send-ChatMessage -Session $sa -To carol -Message 'again' })) | Should -Be 'UserNotFound'
    }
}
