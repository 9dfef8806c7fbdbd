# Enter-ChatRoom against hostile and long text (issue 9, items 6 and 7), in real terminals (tmux
# panes) as in Terminal.Tests.ps1: alice and bob chat in Enter-ChatRoom, carol is a script in
# this process that sends what nobody could type and reads what the terminals sent.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    $script:work = Join-Path ([IO.Path]::GetTempPath()) "oc-tsafe-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory $work | Out-Null
    $script:savedHome = $env:OPENCHAT_HOME
    $env:OPENCHAT_HOME = Join-Path $work 'home'
    $script:server = Start-ChatServer -Path (Join-Path $work 'chat') -Port 0
    $script:identity = @{}
    foreach ($user in 'alice', 'bob', 'carol') {
        $invite = New-ChatInvite -Path (Join-Path $work 'chat') -UserName $user -Server "127.0.0.1:$($server.Port)"
        $identity[$user] = Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $work $user)
    }
    $script:carol = Connect-ChatRoom -Identity $identity.carol.Path -ErrorAction Stop
    $null = New-ChatRoom -Name ops -Session $script:carol -ErrorAction Stop

    # A private tmux server, so nothing else on the machine is touched.
    $script:socket = "oc-tsafe-$PID"
    $script:pwsh = "dotnet '$PSHOME/pwsh.dll'"

    function Start-Chat([string] $User) {
        $command = "$pwsh -NoProfile -NoLogo -Command `"Import-Module '$env:OPENCHAT_MODULE'; Enter-ChatRoom -Room ops -Identity $User -ProfilePath '$work/$User'`""
        tmux -L $socket new-session -d -s $User -x 110 -y 24 "OPENCHAT_HOME='$work/home' $command"
    }

    # Rows as the terminal shows them (the chat wraps its own lines, so nothing is joined here).
    function Get-Screen([string] $User) { (tmux -L $socket capture-pane -p -t $User) -join "`n" }

    function Wait-Screen([string] $User, [scriptblock] $Condition, [int] $Seconds = 60) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        do {
            $screen = Get-Screen $User
            if (& $Condition $screen) { return $screen }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        throw "Timed out waiting on $User's screen. It shows:`n$screen"
    }

    # Pastes text into a terminal as a terminal paste does (one write of all of it).
    function Send-Paste([string] $User, [string] $Text) {
        $file = Join-Path $work "paste-$([guid]::NewGuid().ToString('N')).txt"
        [IO.File]::WriteAllText($file, $Text)
        tmux -L $socket load-buffer -b paste $file
        tmux -L $socket paste-buffer -d -b paste -t $User
    }

    # What carol reads with this exact text, or $null.
    function Receive-CarolText([string] $Text, [int] $Seconds = 60) {
        Receive-ChatMessage -Session $carol -Room ops -Wait -Timeout $Seconds -WarningAction SilentlyContinue |
            Where-Object { $_.Text -ceq $Text } | Select-Object -First 1
    }

    Start-Chat alice
    Start-Chat bob
    $null = Wait-Screen alice { param($s) $s -match 'Joined ops' -and $s -match '\| Connected' }
    $null = Wait-Screen bob { param($s) $s -match 'Joined ops' -and $s -match '\| Connected' }
}

AfterAll {
    tmux -L $socket kill-server 2>$null
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $savedHome
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Enter-ChatRoom shows hostile text without obeying it' {
    BeforeAll {
        tmux -L $socket send-keys -t bob 'bob was here first' Enter
        $null = Wait-Screen bob { param($s) $s -match 'bob: bob was here first' }
        $e = [char] 27
        $hostile = "wipe$e[2J$e[31mred$e[0m then`r12:00 · alice: I did not write this `u{202E}txt.exe`n12:01 · alice: nor this"
        Send-ChatMessage -Session $carol -Room ops -Message $hostile -ErrorAction Stop
        $script:screen = Wait-Screen bob { param($s) $s -match 'carol: wipe' }
    }

    It 'leaves the screen intact: what was there before is still there, the status line too' {
        $screen | Should -Match 'Joined ops'
        $screen | Should -Match 'bob: bob was here first'
        $screen | Should -Match ' ops \| bob@127\.0\.0\.1:\d+ \| Connected'
    }

    It 'shows the escape sequences, the carriage return and the bidi override as visible characters' {
        $screen | Should -Match ([regex]::Escape('carol: wipe␛[2J␛[31mred␛[0m then␍12:00 · alice: I did not write this \u202etxt.exe'))
    }

    It 'does not colour the text after ESC[31m (the only red is the screen''s own)' {
        $coloured = (tmux -L $socket capture-pane -p -e -t bob) -join "`n"
        $line = ($coloured -split "`n") | Where-Object { $_ -match 'wipe' } | Select-Object -First 1
        $line | Should -Not -Match "$([char]27)\[(\d+;)*31m(\d*;)*[^m]*red"
    }

    It 'indents a line break in a message under the sender, so it cannot pass for a message of its own' {
        $rows = $screen -split "`n"
        $rows | Where-Object { $_ -match '^\s{4,}12:01 · alice: nor this' } | Should -HaveCount 1
        $rows | Where-Object { $_ -match '^\d\d:\d\d · alice' } | Should -HaveCount 0
    }
}

Describe 'Enter-ChatRoom with long pastes' {
    It 'sends a 5,000 character paste whole, and the chat keeps running' {
        $words = 1..2000 | ForEach-Object { "w$_" }
        $text = ($words -join ' ')
        $text = $text.Substring(0, 4999) + 'Z'
        $text.Length | Should -Be 5000
        Send-Paste alice $text
        tmux -L $socket send-keys -t alice Enter
        $got = Receive-CarolText $text
        $got | Should -Not -BeNullOrEmpty -Because 'the whole paste arrives as one message'
        $got.Sender | Should -Be 'alice'

        # Bob sees it wrapped by the chat, each further row indented under alice's name.
        $bob = Wait-Screen bob { param($s) $s -match ' w1999 w2000' -or $s -match 'Z\s*$' -or $s -match 'w\d+ ?Z' }
        ($bob -split "`n") | Where-Object { $_ -match '^\s{4,}w\d+' } | Should -Not -BeNullOrEmpty

        tmux -L $socket send-keys -t alice 'still chatting after the paste' Enter
        Receive-CarolText 'still chatting after the paste' | Should -Not -BeNullOrEmpty
        Get-Screen alice | Should -Match ' ops \| alice@127\.0\.0\.1:\d+ \| Connected'
    }

    It 'refuses a line over 64 KiB with a notice, keeps it in the input, and the chat goes on' {
        Send-Paste alice ('y' * 65537)
        tmux -L $socket send-keys -t alice Enter
        $screen = Wait-Screen alice { param($s) $s -match 'MessageTooLarge' -and ($s -split "`n")[-1] -match '^> y+$' }
        ($screen -replace '\s+', ' ') | Should -Match '65,537 bytes of UTF-8'
        ($screen -replace '\s+', ' ') | Should -Match '65,536 bytes \(64 KiB\)'
        ($screen -split "`n")[-1] | Should -Match '^> y+$' -Because 'the refused line is back in the input'
        Get-Screen alice | Should -Match ' ops \| alice@127\.0\.0\.1:\d+ \| Connected'

        tmux -L $socket send-keys -t alice Escape
        tmux -L $socket send-keys -t alice 'after the refusal' Enter
        Receive-CarolText 'after the refusal' | Should -Not -BeNullOrEmpty
        ($screen2 = Get-Screen alice) | Should -Not -Match '^> y'
    }
}
