#Requires -Version 7.6
# End-to-end encrypted messaging as users and scripts drive it: Send-ChatMessage (pipeline,
# rooms, direct messages), Receive-ChatMessage (-Room wildcards, -Wait, -Timeout, -Count),
# the pipelines from issue 5, safety numbers (Get-ChatContact, Confirm-ChatContact), the
# warning when a contact's keys change, removal of a revoked member, one live session per
# identity, resuming after a reconnect, and a canary proving the server stores ciphertext only.
#
# The Its of the Describe share one server and its sessions and run in order; each one drains
# the inboxes it reads before it sends, and uses texts unique to itself.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    # Everything this file writes lives under one temp directory (never the real home).
    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-msg-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    # A text no other test sends.
    function New-UniqueText([string] $Prefix) {
        "$Prefix " + [guid]::NewGuid().ToString('N').Substring(0, 10)
    }

    # Enrolls a user on a server through an invite into its own profile directory.
    function Register-TestUser {
        param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $UserName,
            [Parameter(Mandatory)] [string] $ProfilePath, [switch] $AdditionalDevice)
        $params = @{ Path = $Server.Path; UserName = $UserName; Server = "127.0.0.1:$($Server.Port)"; ErrorAction = 'Stop' }
        if ($AdditionalDevice) { $params.AdditionalDevice = $true }
        $invite = New-ChatInvite @params
        Register-ChatUser -Invite $invite.Invite -ProfilePath $ProfilePath -ErrorAction Stop
    }

    # Reads (and drops) whatever is waiting for a session now, in every room.
    function Clear-TestInbox($Session) {
        $null = Receive-ChatMessage -Session $Session -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    }

    # Receives until a message with this text arrives in time; returns it, or $null.
    function Receive-TestText($Session, [string] $Text, [int] $TimeoutSeconds = 15, [string] $Room = '*') {
        Receive-ChatMessage -Session $Session -Room $Room -Wait -Timeout $TimeoutSeconds -WarningAction SilentlyContinue |
            Where-Object Text -eq $Text | Select-Object -First 1
    }

    # Every file under a directory whose bytes contain the text (UTF-8 or UTF-16), read while
    # the server may still hold the files open. Bytes map one to one onto Latin-1 characters.
    function Find-TextInFiles([string] $Directory, [string] $Text) {
        $latin1 = [Text.Encoding]::Latin1
        $needles = @(
            $latin1.GetString([Text.Encoding]::UTF8.GetBytes($Text))
            $latin1.GetString([Text.Encoding]::Unicode.GetBytes($Text))
        )
        foreach ($file in Get-ChildItem -LiteralPath $Directory -Recurse -File -Force) {
            try {
                $stream = [IO.FileStream]::new($file.FullName, [IO.FileMode]::Open, [IO.FileAccess]::Read,
                    [IO.FileShare]::ReadWrite -bor [IO.FileShare]::Delete)
                try {
                    $memory = [IO.MemoryStream]::new()
                    $stream.CopyTo($memory)
                    $bytes = $memory.ToArray()
                }
                finally { $stream.Dispose() }
            }
            catch [IO.IOException] {
                # A file the server holds with FileShare.None (its lock file): .NET's lock is
                # advisory, so another process can still read the bytes.
                $encoded = & /usr/bin/base64 -w0 -- $file.FullName
                if ($LASTEXITCODE -ne 0) { throw "could not read $($file.FullName)" }
                $bytes = [Convert]::FromBase64String("$encoded")
            }
            $haystack = $latin1.GetString($bytes)
            foreach ($needle in $needles) {
                if ($haystack.IndexOf($needle, [StringComparison]::Ordinal) -ge 0) {
                    $file.FullName
                    break
                }
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

Describe 'Chatting end to end through a live server' {
    BeforeAll {
        $data = New-TempPath 'data'
        # The server's most detailed log goes under the data directory, so the canary scan covers it.
        $serverLog = Join-Path $data 'logs/server.jsonl'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -LogPath $serverLog -LogLevel Debug -ErrorAction Stop
        $alice = Register-TestUser -Server $server -UserName alice -ProfilePath (New-TempPath 'alice')
        $bob = Register-TestUser -Server $server -UserName bob -ProfilePath (New-TempPath 'bob')
        $carol = Register-TestUser -Server $server -UserName carol -ProfilePath (New-TempPath 'carol')

        # Alice connects last, so hers is the default session for commands without -Session.
        # Rooms are created on purpose: carol creates ops, bob dev; the others join them.
        $sc = Connect-ChatRoom -Identity $carol.Path -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $sc -ErrorAction Stop
        $sb = Connect-ChatRoom -Room ops -Identity $bob.Path -ErrorAction Stop
        $null = New-ChatRoom -Name dev -Session $sb -ErrorAction Stop
        $sa = Connect-ChatRoom -Room ops, dev -Identity $alice.Path -ErrorAction Stop
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'sends each pipeline input as a message, skips blank ones, and the receiver reads them in order, verified' {
        Clear-TestInbox $sb
        $sent = @('one', '', 'two' | Send-ChatMessage -Session $sa -Room ops -PassThru -ErrorAction Stop)
        $sent | Should -HaveCount 2 -Because 'the blank line is not a message'
        $sent.Text | Should -Be @('one', 'two')

        $got = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 2 -Timeout 15 -ErrorAction Stop)
        $got | Should -HaveCount 2
        $got[0] | Should -BeOfType ([OpenChat.ChatMessage])
        $got.Text | Should -Be @('one', 'two')
        $got.Room | Should -Be @('ops', 'ops')
        $got.Sender | Should -Be @('alice', 'alice')
        $got.Verified | Should -Be @($true, $true)
        $got | ForEach-Object { $_.Problem | Should -BeNullOrEmpty }
        $got[1].Sequence | Should -Be ($got[0].Sequence + 1)
        # The sender's -PassThru reports the sequence numbers the receiver sees.
        $sent.Sequence | Should -Be $got.Sequence
        $got[0].SenderDevice | Should -Be $alice.Serial
        # Nothing else (no empty third message) is waiting in ops.
        @(Receive-ChatMessage -Session $sb -Room ops) | Should -HaveCount 0
    }

    It 'sends a file line by line with Get-Content notes.txt | Send-ChatMessage -Room ops' {
        Clear-TestInbox $sb
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $lines = 1..5 | ForEach-Object { "note $_ of 5 ($tag)" }
        $file = Join-Path $script:Root 'notes.txt'
        Set-Content -LiteralPath $file -Value $lines

        # Exactly the pipeline from the issue: no -Session, the newest session (alice's) is used.
        Get-Content $file | Send-ChatMessage -Room ops -ErrorAction Stop

        $got = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 5 -Timeout 15)
        $got | Should -HaveCount 5
        $got.Text | Should -Be $lines
        $got.Sender | Should -Be (@('alice') * 5)
        $got.Verified | Should -Be (@($true) * 5)
        for ($i = 1; $i -lt 5; $i++) { $got[$i].Sequence | Should -Be ($got[$i - 1].Sequence + 1) }
    }

    It 'feeds a bot: Receive-ChatMessage -Wait | Where-Object Text -match deploy | Select-Object -First 1 stops promptly' {
        Clear-TestInbox $sb
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 6)
        # One message is already waiting; the rest are sent from another thread while the bot waits.
        Send-ChatMessage -Session $sa -Room ops -Message "chatter before ($tag)" -ErrorAction Stop
        $job = Start-ThreadJob -ArgumentList $env:OPENCHAT_MODULE, $sa, $tag -ScriptBlock {
            param($Module, $Session, $Tag)
            Import-Module $Module
            "chatter during ($Tag)", "deploy v2 to prod ($Tag)", "chatter after ($Tag)" |
                Send-ChatMessage -Session $Session -Room ops -ErrorAction Stop
        }
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $hit = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Timeout 15 |
                    Where-Object Text -match deploy | Select-Object -First 1)
            $watch.Stop()
            $null = $job | Wait-Job -Timeout 15
            $job.State | Should -Be 'Completed' -Because "the sender thread must finish: $($job | Receive-Job -ErrorAction SilentlyContinue 2>&1)"
        }
        finally {
            $job | Remove-Job -Force -ErrorAction SilentlyContinue
        }
        $hit | Should -HaveCount 1
        $hit[0].Text | Should -Be "deploy v2 to prod ($tag)"
        $hit[0].Sender | Should -Be 'alice'
        $hit[0].Verified | Should -BeTrue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'Select-Object -First 1 stops the waiting receive, well before its 15 s timeout'
        # The message after the match was not swallowed by the stopped receive.
        $next = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 1 -Timeout 15)
        $next.Text | Should -Be "chatter after ($tag)"
    }

    It '-Wait -Timeout returns nothing after the timeout when nothing is sent, and ends cleanly' {
        # Ctrl+C cannot be sent from Pester. Ctrl+C and -Timeout both end the wait through the
        # same cancellation, so this checks that a cancelled wait ends without error records.
        Clear-TestInbox $sb
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $got = @(Receive-ChatMessage -Session $sb -Wait -Timeout 2 -ErrorVariable receiveErrors -WarningVariable receiveWarnings)
        $watch.Stop()
        $got | Should -HaveCount 0
        $receiveErrors | Should -HaveCount 0
        $receiveWarnings | Should -HaveCount 0
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.5
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        # The session is still usable after the timed-out wait.
        $sb.State | Should -Not -Be 'Closed'
    }

    It 'without -Wait returns promptly when nothing is waiting' {
        Clear-TestInbox $sb
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $got = @(Receive-ChatMessage -Session $sb -ErrorVariable receiveErrors)
        $watch.Stop()
        $got | Should -HaveCount 0
        $receiveErrors | Should -HaveCount 0
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
    }

    It '-Count stops after that many messages and leaves the rest for the next receive' {
        Clear-TestInbox $sb
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $texts = 1..3 | ForEach-Object { "count $_ ($tag)" }
        $texts | Send-ChatMessage -Session $sa -Room ops -ErrorAction Stop
        $first = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 2 -Timeout 15)
        $first.Text | Should -Be $texts[0..1]
        $rest = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 1 -Timeout 15)
        $rest.Text | Should -Be $texts[2]
    }

    It 'keeps messages of another room while -Room reads one room first' {
        Clear-TestInbox $sb
        $toOps = New-UniqueText 'for ops'
        $toDev = New-UniqueText 'for dev'
        Send-ChatMessage -Session $sa -Room ops -Message $toOps -ErrorAction Stop
        Send-ChatMessage -Session $sa -Room dev -Message $toDev -ErrorAction Stop

        $dev = @(Receive-ChatMessage -Session $sb -Room dev -Wait -Count 1 -Timeout 15)
        $dev | Should -HaveCount 1
        $dev[0].Text | Should -Be $toDev
        $dev[0].Room | Should -Be 'dev'

        $ops = @(Receive-ChatMessage -Session $sb -Room ops -Wait -Count 1 -Timeout 15)
        $ops | Should -HaveCount 1
        $ops[0].Text | Should -Be $toOps
        $ops[0].Room | Should -Be 'ops'

        # A wildcard selects rooms too.
        $again = New-UniqueText 'for dev again'
        Send-ChatMessage -Session $sa -Room dev -Message $again -ErrorAction Stop
        (@(Receive-ChatMessage -Session $sb -Room 'd*' -Wait -Count 1 -Timeout 15)).Text | Should -Be $again
    }

    It 'sends a direct message with -To; the recipient reads it in @alice+bob, verified' {
        Clear-TestInbox $sa
        $sent = Send-ChatMessage -Session $sb -To alice -Message psst -PassThru -ErrorAction Stop
        $sent.Room | Should -Be '@alice+bob'
        $got = @(Receive-ChatMessage -Session $sa -Room '@*' -Wait -Count 1 -Timeout 15)
        $got | Should -HaveCount 1
        $got[0].Room | Should -Be '@alice+bob'
        $got[0].Text | Should -Be 'psst'
        $got[0].Sender | Should -Be 'bob'
        $got[0].Verified | Should -BeTrue
        # Carol, not part of the conversation, does not get it.
        @(Receive-ChatMessage -Session $sc -Room '@*') | Should -HaveCount 0
    }

    It 'never lets a canary reach the server disk or the server object, while the receiver reads it' {
        Clear-TestInbox $sb
        $canary = 'CANARY-' + [guid]::NewGuid().ToString('N')
        $before = (Get-ChatServer -Path $data).MessagesStored
        Send-ChatMessage -Session $sa -Room ops -Message $canary -ErrorAction Stop
        $got = Receive-TestText $sb $canary
        $got | Should -Not -BeNullOrEmpty -Because 'the receiver reads the canary in the clear'
        $got.Verified | Should -BeTrue

        # The server stored it (as ciphertext): the store has grown and its files exist.
        (Get-ChatServer -Path $data).MessagesStored | Should -BeGreaterThan $before
        $files = @(Get-ChildItem -LiteralPath $data -Recurse -File -Force)
        $files.Name | Should -Contain 'messages.db'
        # The scanner does find text that really is on the disk (the user names in openchat.db).
        @(Find-TextInFiles $data 'carol') | Should -Not -BeNullOrEmpty
        # ... in the log too (it names the users who enrolled and connected).
        @(Find-TextInFiles $data 'carol' | Split-Path -Leaf) | Should -Contain 'server.jsonl'

        @(Find-TextInFiles $data $canary) | Should -HaveCount 0
        $json = Get-ChatServer -Path $data | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue
        $json | Should -Not -BeNullOrEmpty
        $json | Should -Not -Match $canary
    }

    It 'shows the same safety number on both sides; Confirm-ChatContact marks it Verified, -WhatIf does not' {
        $bobSeenByAlice = Get-ChatContact -Session $sa bob
        $aliceSeenByBob = Get-ChatContact -Session $sb alice
        $bobSeenByAlice | Should -HaveCount 1
        $aliceSeenByBob | Should -HaveCount 1
        $bobSeenByAlice.UserName | Should -Be 'bob'
        $bobSeenByAlice.SafetyNumber | Should -Match '^(\d{5} ){11}\d{5}$'
        $bobSeenByAlice.SafetyNumber | Should -Be $aliceSeenByBob.SafetyNumber
        $bobSeenByAlice.Trust | Should -Be 'Unverified'
        $bobSeenByAlice.Devices | Should -Be 1
        # A different pair of people has a different number.
        $carolSeenByAlice = Get-ChatContact -Session $sa carol
        $carolSeenByAlice.SafetyNumber | Should -Match '^(\d{5} ){11}\d{5}$'
        $carolSeenByAlice.SafetyNumber | Should -Not -Be $bobSeenByAlice.SafetyNumber

        Confirm-ChatContact -Session $sa bob -WhatIf
        (Get-ChatContact -Session $sa bob).Trust | Should -Be 'Unverified'

        $confirmed = Confirm-ChatContact -Session $sa bob -Confirm:$false -PassThru -ErrorAction Stop
        $confirmed.UserName | Should -Be 'bob'
        $confirmed.Trust | Should -Be 'Verified'
        $confirmed.SafetyNumber | Should -Be $bobSeenByAlice.SafetyNumber
        (Get-ChatContact -Session $sa bob).Trust | Should -Be 'Verified'
        # Bob's side is independent: he has not verified alice.
        (Get-ChatContact -Session $sb alice).Trust | Should -Be 'Unverified'

        # Messages from bob now carry his verified state.
        Clear-TestInbox $sa
        $text = New-UniqueText 'from verified bob'
        Send-ChatMessage -Session $sb -Room ops -Message $text -ErrorAction Stop
        (Receive-TestText $sa $text).SenderTrust | Should -Be 'Verified'
    }

    It 'warns loudly when a contact enrolls a second device, and shows the contact Changed with 2 devices' {
        Clear-TestInbox $sa
        $bob2 = Register-TestUser -Server $server -UserName bob -ProfilePath (New-TempPath 'bob2') -AdditionalDevice
        $bob2.UserName | Should -Be 'bob'
        $bob2.Serial | Should -Not -Be $bob.Serial
        $script:sb2 = Connect-ChatRoom -Room ops -Identity $bob2.Path -ErrorAction Stop
        $text = New-UniqueText 'from the second laptop'
        Send-ChatMessage -Session $script:sb2 -Room ops -Message $text -ErrorAction Stop

        $got = Receive-ChatMessage -Session $sa -Room ops -Wait -Timeout 15 -WarningVariable w -WarningAction SilentlyContinue |
            Where-Object Text -eq $text | Select-Object -First 1
        $got | Should -Not -BeNullOrEmpty
        $got.Sender | Should -Be 'bob'
        $got.SenderDevice | Should -Be $bob2.Serial
        $got.Verified | Should -BeTrue
        $got.SenderTrust | Should -Be 'Changed'
        @($w | Where-Object { "$_" -cmatch 'CHANGED' -and "$_" -match 'bob' }) | Should -Not -BeNullOrEmpty -Because "a warning names bob's changed keys (warnings: $($w -join ' | '))"

        $contact = Get-ChatContact -Session $sa bob
        $contact.Trust | Should -Be 'Changed'
        $contact.Devices | Should -Be 2
        $contact.Fingerprints | Should -HaveCount 2

        Disconnect-ChatRoom -Session $script:sb2 -ErrorAction Stop
    }

    It 'removes a revoked member: carol reads nothing sent after Revoke-ChatCertificate, bob does' {
        Clear-TestInbox $sb
        Clear-TestInbox $sc
        $beforeText = New-UniqueText 'before revoke'
        Send-ChatMessage -Session $sa -Room ops -Message $beforeText -ErrorAction Stop
        # Carol is a member who can read the room until she is revoked.
        $carolBefore = Receive-TestText $sc $beforeText
        $carolBefore | Should -Not -BeNullOrEmpty
        $bobBefore = Receive-TestText $sb $beforeText
        $bobBefore | Should -Not -BeNullOrEmpty

        Revoke-ChatCertificate -Path $data -UserName carol -Reason KeyCompromise -Confirm:$false -ErrorAction Stop

        $afterText = New-UniqueText 'after revoke'
        Send-ChatMessage -Session $sa -Room ops -Message $afterText -ErrorAction Stop
        $bobAfter = Receive-TestText $sb $afterText
        $bobAfter | Should -Not -BeNullOrEmpty
        $bobAfter.Verified | Should -BeTrue
        $script:epochBeforeRevoke = $bobBefore.Epoch
        $script:epochAfterRevoke = $bobAfter.Epoch

        $carolAfter = @(Receive-ChatMessage -Session $sc -Wait -Timeout 4 -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
        @($carolAfter | Where-Object Text -eq $afterText) | Should -HaveCount 0
    }

    It 'sends the first message after a revocation in a new epoch that no longer includes the revoked member' {
        # DESIGN.md: "A removal ... is committed by a remaining member before anyone sends again;
        # no message is sent in an epoch that still includes a removed member."
        $script:epochBeforeRevoke | Should -Not -BeNullOrEmpty
        $script:epochAfterRevoke | Should -BeGreaterThan $script:epochBeforeRevoke -Because 'the removal of carol must be committed (a new epoch) before alice sends again'
    }

    It 'refuses a second live session for the same identity with ProfileInUse' {
        $sessionsBefore = @(Get-ChatSession).Count
        $err = Get-ChatErrorRecord { Connect-ChatRoom -Room ops -Identity $alice.Path }
        Get-ErrorId $err | Should -Be 'ProfileInUse'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        @(Get-ChatSession).Count | Should -Be $sessionsBefore
        # The first session is not disturbed.
        Clear-TestInbox $sb
        $text = New-UniqueText 'still here'
        Send-ChatMessage -Session $sa -Room ops -Message $text -ErrorAction Stop
        Receive-TestText $sb $text | Should -Not -BeNullOrEmpty
    }

    It 'shows what was said while away exactly once after reconnecting, and nothing earlier again' {
        Clear-TestInbox $sb
        Disconnect-ChatRoom -Session $sb -ErrorAction Stop
        $sb.State | Should -Be 'Closed'

        $away = New-UniqueText 'while away'
        Send-ChatMessage -Session $sa -Room ops -Message $away -ErrorAction Stop

        $script:sbAgain = Connect-ChatRoom -Room ops -Identity $bob.Path -ErrorAction Stop
        $got = @(Receive-ChatMessage -Session $script:sbAgain -Room ops -Wait -Count 1 -Timeout 15 -WarningAction SilentlyContinue)
        $got | Should -HaveCount 1
        $got[0].Text | Should -Be $away
        $got[0].Sender | Should -Be 'alice'
        $got[0].Verified | Should -BeTrue

        # Nothing more: neither a second copy nor the messages bob had already read.
        $more = @(Receive-ChatMessage -Session $script:sbAgain -Wait -Timeout 2 -WarningAction SilentlyContinue)
        $more.Text | Should -Not -Contain $away
        $more | Should -HaveCount 0 -Because "already-read messages are not shown again (got: $($more.Text -join ' | '))"
    }

    It 'Exit-ChatRoom tells the others in a signed departure; the next message is in a new epoch the leaver cannot read' {
        Clear-TestInbox $sa
        $before = New-UniqueText 'before bob leaves'
        Send-ChatMessage -Session $script:sbAgain -Room dev -Message $before -ErrorAction Stop
        $seen = Receive-TestText $sa $before -Room dev
        $seen | Should -Not -BeNullOrEmpty

        Exit-ChatRoom -Room dev -Session $script:sbAgain -Confirm:$false -ErrorAction Stop

        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        $notice = $null
        $seenMeanwhile = @()
        while (-not $notice -and [DateTime]::UtcNow -lt $deadline) {
            $got = @(Receive-ChatMessage -Session $sa -Room dev -IncludeNotice -Wait -Timeout 2 -WarningAction SilentlyContinue)
            $seenMeanwhile += $got
            $notice = $got | Where-Object { $_.IsNotice -and $_.Sender -eq 'bob' -and $_.Text -match 'left the room' } | Select-Object -First 1
        }
        $notice | Should -Not -BeNullOrEmpty -Because "every member is told of a departure (got: $(($seenMeanwhile | ForEach-Object { "[$($_.Sender): $($_.Text)]" }) -join ' '))"
        $notice.Verified | Should -BeTrue

        $after = New-UniqueText 'after bob left'
        Send-ChatMessage -Session $sa -Room dev -Message $after -ErrorAction Stop
        $own = Receive-TestText $sa $after -Room dev
        $own.Epoch | Should -BeGreaterThan $seen.Epoch -Because 'the leaver is removed by a commit before anyone sends again'
        $bobAfter = @(Receive-ChatMessage -Session $script:sbAgain -Wait -Timeout 3 -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
        @($bobAfter | Where-Object Text -eq $after) | Should -HaveCount 0
    }
}
