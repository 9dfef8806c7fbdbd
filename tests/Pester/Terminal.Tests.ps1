# Enter-ChatRoom as people use it: two real terminals (tmux panes), typing with send-keys and
# reading the screen with capture-pane, talking to each other through a live server.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    $script:work = Join-Path ([IO.Path]::GetTempPath()) "oc-tui-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory $work | Out-Null
    $script:savedHome = $env:OPENCHAT_HOME
    $env:OPENCHAT_HOME = Join-Path $work 'home'
    $script:server = Start-ChatServer -Path (Join-Path $work 'chat') -Port 0
    foreach ($user in 'alice', 'bob') {
        $invite = New-ChatInvite -Path (Join-Path $work 'chat') -UserName $user -Server "127.0.0.1:$($server.Port)"
        Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $work $user) | Out-Null
    }

    # The room both chats enter exists first: Enter-ChatRoom never creates one.
    $creator = Connect-ChatRoom -Identity alice -ProfilePath (Join-Path $work 'alice') -ErrorAction Stop
    $null = New-ChatRoom -Name ops -Session $creator -ErrorAction Stop
    Disconnect-ChatRoom -Session $creator

    # A private tmux server, so nothing else on the machine is touched.
    $script:socket = "oc-tui-$PID"
    $script:pwsh = "dotnet '$PSHOME/pwsh.dll'"

    function Start-Chat([string] $User) {
        $command = "$pwsh -NoProfile -NoLogo -Command `"Import-Module '$env:OPENCHAT_MODULE'; Enter-ChatRoom -Room ops -Identity $User -ProfilePath '$work/$User'`""
        tmux -L $socket new-session -d -s $User -x 110 -y 24 "OPENCHAT_HOME='$work/home' $command"
    }

    # -J joins lines the terminal wrapped, so long messages can be matched whole.
    function Get-Screen([string] $User) { (tmux -L $socket capture-pane -p -J -t $User) -join "`n" }

    function Wait-Screen([string] $User, [scriptblock] $Condition, [int] $Seconds = 60) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        do {
            $screen = Get-Screen $User
            if (& $Condition $screen) { return $screen }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        throw "Timed out waiting on $User's screen. It shows:`n$screen"
    }

    Start-Chat alice
    Start-Chat bob
    $null = Wait-Screen alice { param($s) $s -match 'Joined ops' -and $s -match '\| Connected' }
    $null = Wait-Screen bob { param($s) $s -match 'Joined ops' -and $s -match '\| Connected' }
}

AfterAll {
    tmux -L $socket kill-server 2>$null
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $savedHome
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Enter-ChatRoom in two terminals' {
    It 'shows a status line with the room, the user and the connection' {
        Get-Screen alice | Should -Match ' ops \| alice@127\.0\.0\.1:\d+ \| Connected'
        Get-Screen bob | Should -Match ' ops \| bob@127\.0\.0\.1:\d+ \| Connected'
    }

    It 'delivers what one person types to the other, marked as signed' {
        tmux -L $socket send-keys -t alice 'hello bob from the terminal' Enter
        $bob = Wait-Screen bob { param($s) $s -match 'alice: hello bob from the terminal' }
        $bob | Should -Match '\d\d:\d\d · alice: hello bob from the terminal'
        $alice = Wait-Screen alice { param($s) $s -match 'alice: hello bob from the terminal' }
        $alice | Should -Match '✓ alice: hello bob from the terminal'
    }

    It 'lets both sides talk in turn' {
        tmux -L $socket send-keys -t bob 'hi alice, loud and clear' Enter
        $null = Wait-Screen alice { param($s) $s -match 'bob: hi alice, loud and clear' }
        (Get-Screen alice) | Should -Match '(?s)hello bob from the terminal.*hi alice, loud and clear'
    }

    It 'lists who is there with /who' {
        tmux -L $socket send-keys -t alice '/who' Enter
        $screen = Wait-Screen alice { param($s) $s -match 'In ops:' }
        $screen | Should -Match 'alice \(online\)'
        $screen | Should -Match 'bob \(online\)'
    }

    It 'sends a direct message with /msg and marks it unread on the other side' {
        tmux -L $socket send-keys -t alice '/msg bob a word in private' Enter
        $null = Wait-Screen bob { param($s) $s -match 'unread: @alice\+bob\(1\)' }
        tmux -L $socket send-keys -t bob '/join @alice+bob' Enter
        # The status line is drawn after the messages of a tick: wait for both.
        $screen = Wait-Screen bob { param($s) $s -match 'alice: a word in private' -and $s -match ' @alice\+bob \| bob@' }
        $screen | Should -Match ' @alice\+bob \| bob@'
    }

    It 'shows the safety number with /verify and marks the contact verified only after a yes' {
        tmux -L $socket send-keys -t bob '/verify alice' Enter
        $screen = Wait-Screen bob { param($s) ($s -replace '\s+', ' ') -match 'Mark alice verified\? \(y/N\)' } # the chat wraps long lines itself
        ($screen -replace '\s+', ' ') | Should -Match 'Safety number with alice: (\d{5} ){11}\d{5}'
        tmux -L $socket send-keys -t bob 'y'
        $null = Wait-Screen bob { param($s) ($s -replace '\s+', ' ') -match 'Marked alice verified\.' }
    }

    It 'redraws for a new terminal size' {
        tmux -L $socket resize-window -t alice -x 70 -y 14
        $screen = Wait-Screen alice { param($s)
            $l = $s -split "`n"
            $l.Count -le 14 -and $l[-1] -match '^>' -and $l[-2] -match '^ ops \| alice@' } -Seconds 15
        ($screen -split "`n").Count | Should -BeLessOrEqual 14
        $screen | Should -Match 'hi alice, loud and clear'
    }

    # dev did not exist: /join of it used to create it; now /join says so and /create makes it.
    It 'creates a room with /create, moves between rooms with /join, lists them with /rooms, leaves with /leave, and explains itself with /help' {
        tmux -L $socket send-keys -t alice '/join dev' Enter
        $null = Wait-Screen alice { param($s) $s -match [regex]::Escape("RoomNotFound: There is no room 'dev'.") -and $s -match 'Create it with /create dev\.' }
        tmux -L $socket send-keys -t alice '/create dev' Enter
        $null = Wait-Screen alice { param($s) $s -match ' dev \| alice@' }
        tmux -L $socket send-keys -t alice '/rooms' Enter
        $screen = Wait-Screen alice { param($s) $s -match 'Rooms: ' }
        $screen | Should -Match 'Rooms: .*\*dev'
        $screen | Should -Match 'Rooms: .*ops'
        tmux -L $socket send-keys -t alice '/leave dev' Enter
        $null = Wait-Screen alice { param($s) $s -match 'Left dev\.' }
        tmux -L $socket send-keys -t alice '/help' Enter
        $screen = Wait-Screen alice { param($s) $s -match '/join ROOM' }
        $screen | Should -Match '/create ROOM'
        $screen | Should -Match '/leave'
        $screen | Should -Match '/quit'
        tmux -L $socket send-keys -t alice '/join ops' Enter
        $null = Wait-Screen alice { param($s) $s -match ' ops \| alice@' }
    }

    It 'scrolls back with PageUp over many messages, keeps the view while new ones arrive, and returns with End' {
        # alice's window is 70x14 since the resize: 12 rows of messages; bob was last in @alice+bob.
        tmux -L $socket send-keys -t bob '/join ops' Enter
        $null = Wait-Screen bob { param($s) $s -match '(?m)^ ops \| bob@' }
        foreach ($i in 1..30) { tmux -L $socket send-keys -t bob ('scroll line {0:00}' -f $i) Enter }
        $null = Wait-Screen alice { param($s) $s -match 'bob: scroll line 30' }
        tmux -L $socket send-keys -t alice PPage
        $screen = Wait-Screen alice { param($s) $s -match '(?m)^ SCROLLED BACK: End returns \| ops \|' } -Seconds 15
        $screen | Should -Match 'bob: scroll line 1[5-9]'
        $screen | Should -Not -Match 'bob: scroll line 30'

        tmux -L $socket send-keys -t bob 'said while alice scrolled back' Enter
        $screen = Wait-Screen alice { param($s) $s -match '(?m)^ SCROLLED BACK: 1 new below, End returns' }
        $screen | Should -Not -Match 'said while alice scrolled back'

        tmux -L $socket send-keys -t alice End
        $screen = Wait-Screen alice { param($s) $s -match 'bob: said while alice scrolled back' -and $s -match '(?m)^ ops \| alice@' } -Seconds 15
        $screen | Should -Not -MatchExactly 'SCROLLED BACK'
    }

    It 'returns to PowerShell with /quit' {
        tmux -L $socket send-keys -t bob '/quit' Enter
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            tmux -L $socket has-session -t bob 2>$null
            $alive = $LASTEXITCODE -eq 0
            if ($alive) { Start-Sleep -Milliseconds 100 }
        } while ($alive -and [DateTime]::UtcNow -lt $deadline)
        $alive | Should -BeFalse
    }
}

Describe 'Leaving the chat screen loses nothing' {
    BeforeAll {
        function Wait-Exit([string] $User) {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            do {
                tmux -L $socket has-session -t $User 2>$null
                $alive = $LASTEXITCODE -eq 0
                if ($alive) { Start-Sleep -Milliseconds 100 }
            } while ($alive -and [DateTime]::UtcNow -lt $deadline)
            $alive | Should -BeFalse -Because "$User's chat should have ended"
        }

        function Start-ChatAndWait([string] $User) {
            Start-Chat $User
            $null = Wait-Screen $User { param($s) $s -match 'Joined ops' -and $s -match '\| Connected' }
        }
    }

    It 'opens the room again with what was said before, once, and a line where what came while away begins' {
        Start-ChatAndWait bob
        tmux -L $socket send-keys -t alice 'said before bob left' Enter
        $null = Wait-Screen bob { param($s) $s -match 'alice: said before bob left' }
        tmux -L $socket send-keys -t bob '/quit' Enter
        Wait-Exit bob
        tmux -L $socket send-keys -t alice 'said while bob was away' Enter
        $null = Wait-Screen alice { param($s) $s -match 'alice: said while bob was away' }

        Start-ChatAndWait bob
        $screen = Wait-Screen bob { param($s) $s -match 'alice: said while bob was away' } -Seconds 15
        ([regex]::Matches($screen, 'alice: said before bob left')).Count | Should -Be 1
        $rows = $screen -split "`n"
        $before = [array]::FindIndex($rows, [Predicate[string]] { param($r) $r -match 'alice: said before bob left' })
        $marker = [array]::FindIndex($rows, [Predicate[string]] { param($r) $r -match '── unread ──' })
        $away = [array]::FindIndex($rows, [Predicate[string]] { param($r) $r -match 'alice: said while bob was away' })
        $marker | Should -BeGreaterThan $before
        $away | Should -BeGreaterThan $marker
        # What bob said himself earlier (the scroll-back lines) is history too, a PageUp away.
        tmux -L $socket send-keys -t bob PPage
        $null = Wait-Screen bob { param($s) $s -match 'bob: scroll line \d\d' -and $s -match 'SCROLLED BACK' } -Seconds 15
        tmux -L $socket send-keys -t bob '/quit' Enter
        Wait-Exit bob
    }

    It 'keeps a direct message that was unread on another room''s screen after /quit, and shows it when the room is opened' {
        Start-ChatAndWait bob
        tmux -L $socket send-keys -t alice '/msg bob kept for later one' Enter
        $null = Wait-Screen bob { param($s) $s -match 'unread: @alice\+bob\(1\)' }
        tmux -L $socket send-keys -t bob '/quit' Enter
        Wait-Exit bob

        # A new chat screen still counts it, and opening the conversation shows it.
        Start-ChatAndWait bob
        $null = Wait-Screen bob { param($s) $s -match 'unread: @alice\+bob\(1\)' } -Seconds 15
        tmux -L $socket send-keys -t bob '/join @alice+bob' Enter
        # The status line is redrawn just after the history: wait for both, or a CI run catches the
        # screen between the two (it showed the message under the old room's status line).
        $screen = Wait-Screen bob { param($s) $s -match 'alice: kept for later one' -and $s -match ' @alice\+bob \| bob@' }
        $screen | Should -Match 'alice: kept for later one'
        tmux -L $socket send-keys -t bob '/quit' Enter
        Wait-Exit bob
    }

    It 'keeps a direct message that was unread on the chat screen for Receive-ChatMessage after /quit' {
        Start-ChatAndWait bob
        tmux -L $socket send-keys -t alice '/msg bob kept for later two' Enter
        $null = Wait-Screen bob { param($s) $s -match 'unread: @alice\+bob\(1\)' }
        tmux -L $socket send-keys -t bob '/quit' Enter
        Wait-Exit bob

        $bob = Connect-ChatRoom -Identity bob -ProfilePath (Join-Path $work 'bob') -ErrorAction Stop
        try {
            $got = @(Receive-ChatMessage -Session $bob -Room '@alice+bob' -Wait -Timeout 10 -Count 1 -WarningAction SilentlyContinue)
            $got.Text | Should -Be @('kept for later two')
            $got[0].Sender | Should -Be 'alice'
            $got[0].Verified | Should -BeTrue
        }
        finally { Disconnect-ChatRoom -Session $bob }
    }

    It 'shows a line typed while the server is down as pending and sends it once the server is back' {
        $port = $server.Port
        Stop-ChatServer -Server $server -Confirm:$false
        try {
            $null = Wait-Screen alice { param($s) $s -match '\| Reconnecting' } -Seconds 30
            tmux -L $socket send-keys -t alice 'typed while the server was down' Enter
            $screen = Wait-Screen alice { param($s) $s -match 'alice: typed while the server was down \(pending\)' } -Seconds 15
            $screen | Should -Not -Match 'ConnectionLost'
        }
        finally { $script:server = Start-ChatServer -Path (Join-Path $work 'chat') -Port $port }
        $null = Wait-Screen alice { param($s) $s -match '(?m)alice: typed while the server was down\s*$' -and $s -match '\| Connected' } -Seconds 30

        $bob = Connect-ChatRoom -Identity bob -ProfilePath (Join-Path $work 'bob') -Room ops -ErrorAction Stop
        try {
            $got = @(Receive-ChatMessage -Session $bob -Room ops -Wait -Timeout 5 -WarningAction SilentlyContinue | Where-Object Text -eq 'typed while the server was down')
            $got | Should -HaveCount 1
            $got[0].Sender | Should -Be 'alice'
        }
        finally { Disconnect-ChatRoom -Session $bob }
    }
}

Describe 'Ctrl+C in an interactive PowerShell' {
    BeforeAll {
        $module = $env:OPENCHAT_MODULE
        tmux -L $socket new-session -d -s shell -x 150 -y 40 "OPENCHAT_HOME='$work/home' $pwsh -NoProfile -NoLogo"
        $null = Wait-Screen shell { param($s) $s -match 'PS .*>' }
        tmux -L $socket send-keys -t shell "Import-Module '$module'; `$s = Connect-ChatRoom -Room ops -Identity bob -ProfilePath '$work/bob'; 'ready-' + `$s.State" Enter
        $null = Wait-Screen shell { param($s) $s -match '(?m)^ready-Connected' }
    }

    It 'refuses Enter-ChatRoom of a room that does not exist with the nearest room suggested, and creates nothing' {
        tmux -L $socket send-keys -t shell "Enter-ChatRoom -Session `$s -Room opss; 'rooms-' + ((Get-ChatRoom -Session `$s).Name -join ',')" Enter
        $screen = Wait-Screen shell { param($s) $s -match '(?m)^rooms-' }
        $screen | Should -Match ([regex]::Escape("There is no room 'opss'. Did you mean: ops? Create it with New-ChatRoom -Name opss."))
        $screen | Should -Match '(?m)^rooms-(?!.*opss)'
    }

    It 'ends Receive-ChatMessage -Wait cleanly and returns to the prompt' {
        tmux -L $socket send-keys -t shell "Receive-ChatMessage -Session `$s -Room nothing-here -Wait; 'receive-returned'" Enter
        $null = Wait-Screen shell { param($s) $s -match 'Receive-ChatMessage -Session \$s -Room nothing-here -Wait' }
        # The line shows before the command runs: a Ctrl+C that lands in between is the line
        # editor's, not the command's. Press it until a new prompt follows the command.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            tmux -L $socket send-keys -t shell C-c
            $back = $false
            $until = [DateTime]::UtcNow.AddSeconds(1)
            while (-not $back -and [DateTime]::UtcNow -lt $until) {
                $back = (Get-Screen shell) -match "nothing-here -Wait; 'receive-returned'\s*\n(.*\n)*PS [^\n]*>\s*$"
                if (-not $back) { Start-Sleep -Milliseconds 100 }
            }
        } while (-not $back -and [DateTime]::UtcNow -lt $deadline)
        tmux -L $socket send-keys -t shell "'after-' + `$s.State" Enter
        $screen = Wait-Screen shell { param($s) $s -match '(?m)^after-Connected' }
        $screen | Should -Not -Match 'Exception'
    }

    It 'stops Start-ChatServer -Wait with Ctrl+C' {
        tmux -L $socket send-keys -t shell "Start-ChatServer -Path '$work/other' -Port 0 -Wait" Enter
        $null = Wait-Screen shell { param($s) $s -match 'Press Ctrl\+C to stop' }
        tmux -L $socket send-keys -t shell C-c
        tmux -L $socket send-keys -t shell "'servers-' + @(Get-ChatServer).Count" Enter
        $screen = Wait-Screen shell { param($s) $s -match '(?m)^servers-\d' }
        $screen | Should -Match '(?m)^servers-0'
        $screen | Should -Not -Match 'Exception'
    }
}
