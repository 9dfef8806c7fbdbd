#Requires -Version 7.6
# Message text through the cmdlets (issue 9, items 6 and 7): messages of 64 KiB of UTF-8 go
# through; one over the limit is a non-terminating MessageTooLarge error that says the limit, so
# a pipeline goes on with the next line; and what others wrote is shown neutralised by the
# format views, warnings and ToString, while the object's Text keeps the exact characters.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-text-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    $script:server = Start-ChatServer -Path (Join-Path $Root 'data') -Port 0 -Address 127.0.0.1 -ErrorAction Stop
    $identities = @{}
    foreach ($user in 'alice', 'bob') {
        $invite = New-ChatInvite -Path $server.Path -UserName $user -Server "127.0.0.1:$($server.Port)" -ErrorAction Stop
        $identities[$user] = Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $Root $user) -ErrorAction Stop
    }
    $script:sb = Connect-ChatRoom -Identity $identities.bob.Path -ErrorAction Stop
    $null = New-ChatRoom -Name ops -Session $script:sb -ErrorAction Stop
    $script:sa = Connect-ChatRoom -Room ops -Identity $identities.alice.Path -ErrorAction Stop

    function Clear-TestInbox($Session) {
        $null = Receive-ChatMessage -Session $Session -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    }

    function Receive-TestMessages($Session, [int] $Count) {
        @(Receive-ChatMessage -Session $Session -Room ops -Wait -Count $Count -Timeout 20 -WarningAction SilentlyContinue -ErrorAction Stop)
    }
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Long messages' {
    It 'sends a message of 64 KiB of UTF-8 (ASCII and accented) and it arrives exactly' {
        Clear-TestInbox $sb
        $ascii = 'a' * 65536
        $accented = ('é' * 32767) + 'xy'
        [Text.Encoding]::UTF8.GetByteCount($accented) | Should -Be 65536
        $ascii, $accented | Send-ChatMessage -Session $sa -Room ops -ErrorAction Stop
        $got = Receive-TestMessages $sb 2
        $got | Should -HaveCount 2
        $got[0].Text -ceq $ascii | Should -BeTrue
        $got[1].Text -ceq $accented | Should -BeTrue
        $got.Verified | Should -Be @($true, $true)
    }

    It 'refuses a message over 64 KiB with MessageTooLarge, category LimitsExceeded, and says the limit' {
        $record = Get-ChatErrorRecord { Send-ChatMessage -Session $sa -Room ops -Message ('é' * 32769) }
        Get-ErrorId $record | Should -Be 'MessageTooLarge'
        $record.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $record.Exception.Message | Should -Match '65,538 bytes'
        $record.Exception.Message | Should -Match '65,536 bytes \(64 KiB\)'
    }

    It 'goes on with the lines after a refused one in Get-Content f | Send-ChatMessage' {
        Clear-TestInbox $sb
        $file = Join-Path $Root 'lines.txt'
        Set-Content -LiteralPath $file -Value @('line one', ('z' * 70000), 'line three', 'line four')
        $sent = Get-Content -LiteralPath $file | Send-ChatMessage -Session $sa -Room ops -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        Get-ErrorId $failures[0] | Should -Be 'MessageTooLarge'
        @($sent).Text | Should -Be @('line one', 'line three', 'line four')
        (Receive-TestMessages $sb 3).Text | Should -Be @('line one', 'line three', 'line four')
    }
}

Describe 'Text from others on the terminal' {
    BeforeAll {
        $e = [char] 27
        $script:hostile = "before$e[2J$e[31mred$e[0m`rbob: fake`u{202E}evil`u{009B}x`nnext line"
        Clear-TestInbox $sb
        Send-ChatMessage -Session $sa -Room ops -Message $hostile -ErrorAction Stop
        $script:m = Receive-TestMessages $sb 1 | Select-Object -First 1
        $script:shown = 'before␛[2J␛[31mred␛[0m␍bob: fake\u202eevil\u009bx␊next line'
    }

    It 'keeps the exact characters in Text' {
        $m.Text -ceq $hostile | Should -BeTrue
    }

    It 'shows them neutralised in the table view, the list view and ToString' {
        $table = $m | Format-Table -Wrap | Out-String -Width 400
        $list = $m | Format-List | Out-String -Width 400
        foreach ($out in $table, $list, "$m") {
            $out.Contains($shown) | Should -BeTrue -Because "the output was: $out"
            $out.Contains("$e[2J") | Should -BeFalse
            $out.Contains("$e[31m") | Should -BeFalse
            $out.Contains("`r") | Should -BeFalse
            $out.Contains("`u{202E}") | Should -BeFalse
            $out.Contains("`u{009B}") | Should -BeFalse
        }
    }

    It 'still shows rooms, members and contacts through their neutralising views' {
        Get-ChatRoom -Session $sb | Format-Table | Out-String | Should -Match 'ops'
        Get-ChatRoomMember -Session $sb -Room ops | Format-Table | Out-String | Should -Match 'alice'
        Get-ChatContact -Session $sb | Format-Table | Out-String | Should -Match 'alice'
        [OpenChat.Engine.TerminalText]::Neutralise("ops$e[2J") | Should -Be 'ops␛[2J'
    }
}
