#Requires -Version 7.6
# Private rooms and roles (issue 13), as a user types them, against a real server: alice creates
# a private room and adds bob, who joins and reads; carol, whom nobody added, cannot join, her
# client says why before it publishes anything, and alice's client has nothing refused to hide;
# alice kicks bob, who cannot read the next message nor join again; alice adds him back as an
# admin and bob adds carol, who then joins and reads.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-private-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function Register-TestUser([string] $UserName) {
        $invite = New-ChatInvite -Path $script:Data -UserName $UserName -Server "127.0.0.1:$($script:Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $script:Root $UserName) -ErrorAction Stop
    }

    # Reads the session's messages of the room until one has the text; $null after the timeout.
    function Receive-Text($Session, [string] $Text, [int] $Seconds = 15) {
        Receive-ChatMessage -Session $Session -Room incident -Wait -Timeout $Seconds -WarningAction SilentlyContinue |
            Where-Object Text -eq $Text | Select-Object -First 1
    }

    $script:Data = Join-Path $script:Root 'data'
    $script:Server = Start-ChatServer -Path $script:Data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
    $script:Port = $script:Server.Port
    $script:sa = Connect-ChatRoom -Identity (Register-TestUser alice).Path -ErrorAction Stop
    $script:sb = Connect-ChatRoom -Identity (Register-TestUser bob).Path -ErrorAction Stop
    $script:sc = Connect-ChatRoom -Identity (Register-TestUser carol).Path -ErrorAction Stop
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'A private room' {
    It 'is created with its creator as admin, and bob, once added, joins and reads' {
        $room = New-ChatRoom -Name incident -Private -Session $sa -ErrorAction Stop
        $room.Name | Should -Be 'incident'
        Add-ChatRoomMember -Room incident -User bob -Session $sa -ErrorAction Stop

        $null = Join-ChatRoom incident -Session $sb -ErrorAction Stop
        Send-ChatMessage -Session $sa -Room incident -Message 'for members only' -ErrorAction Stop
        (Receive-Text $sb 'for members only').Sender | Should -Be 'alice'

        $members = @(Get-ChatRoomMember incident -Session $sa -ErrorAction Stop)
        ($members | Where-Object UserName -eq 'alice').Role | Should -Be 'Admin'
        ($members | Where-Object UserName -eq 'bob').Role | Should -Be 'Member'
        ($members | Where-Object UserName -eq 'bob').InEncryption | Should -BeTrue
    }

    It 'refuses carol, whom no admin added, before her client publishes anything, and alice refused nothing' {
        $err = Get-ChatErrorRecord { Join-ChatRoom incident -Session $sc }
        Get-ErrorId $err | Should -Be 'NotInPrivateRoom'
        "$err" | Should -Match 'ask an admin'

        Send-ChatMessage -Session $sa -Room incident -Message 'carol is not here' -ErrorAction Stop
        $seen = @(Receive-ChatMessage -Session $sa -Room incident -IncludeNotice -Wait -Timeout 3 -WarningVariable warned -WarningAction SilentlyContinue)
        @($seen | Where-Object { -not $_.Verified }) | Should -HaveCount 0 -Because 'carol committed nothing for anyone to refuse'
        @($warned | Where-Object { "$_" -match 'refused' }) | Should -HaveCount 0
        $carol = Get-ChatRoomMember incident -Session $sa | Where-Object UserName -eq 'carol'
        if ($carol) { $carol.InEncryption | Should -BeFalse }
        @(Receive-ChatMessage -Session $sc -Room incident -Timeout 2 | Where-Object Text -eq 'carol is not here') | Should -HaveCount 0
    }
}

Describe 'An admin''s kick and role changes' {
    It 'kicks bob: he cannot read the next message and cannot join again' {
        Remove-ChatRoomMember -Room incident -User bob -Session $sa -Confirm:$false -ErrorAction Stop
        $told = Receive-ChatMessage -Session $sa -Room incident -IncludeNotice -Wait -Timeout 15 -WarningAction SilentlyContinue |
            Where-Object { $_.IsNotice -and $_.Text -match 'alice removed bob' } | Select-Object -First 1
        $told | Should -Not -BeNullOrEmpty

        Send-ChatMessage -Session $sa -Room incident -Message 'after the kick' -ErrorAction Stop
        $removed = Receive-ChatMessage -Session $sb -Room incident -IncludeNotice -Wait -Timeout 15 -WarningAction SilentlyContinue |
            Where-Object { $_.IsNotice -and $_.Text -match 'You were removed' } | Select-Object -First 1
        $removed | Should -Not -BeNullOrEmpty
        Receive-Text $sb 'after the kick' 3 | Should -BeNullOrEmpty
        (Get-ChatRoomMember incident -Session $sa | Where-Object UserName -eq 'bob').Role | Should -Be 'Removed'

        $err = Get-ChatErrorRecord { Send-ChatMessage -Session $sb -Room incident -Message 'let me back in' }
        Get-ErrorId $err | Should -Be 'RemovedFromRoom'
    }

    It 'lets only an admin change the room, and keeps its last admin' {
        Get-ErrorId (Get-ChatErrorRecord { Add-ChatRoomMember -Room incident -User carol -Session $sb }) | Should -Be 'RemovedFromRoom'
        Add-ChatRoomMember -Room incident -User bob -Session $sa -ErrorAction Stop
        $null = Join-ChatRoom incident -Session $sb -ErrorAction Stop
        $err = Get-ChatErrorRecord { Add-ChatRoomMember -Room incident -User carol -Session $sb }
        Get-ErrorId $err | Should -Be 'NotRoomAdmin'
        "$err" | Should -Match 'its admins: alice'
        Get-ErrorId (Get-ChatErrorRecord { Set-ChatRoomMember -Room incident -User alice -Role Member -Session $sa }) | Should -Be 'RoomRoleRefused'
    }

    It 'makes bob an admin, and bob adds carol, who joins and reads' {
        Set-ChatRoomMember -Room incident -User bob -Role Admin -Session $sa -ErrorAction Stop
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((Get-ChatRoomMember incident -Session $sb | Where-Object UserName -eq 'bob').Role -ne 'Admin') {
            if ([DateTime]::UtcNow -gt $deadline) { throw 'Timed out waiting for bob to see himself an admin' }
            Start-Sleep -Milliseconds 50
        }
        Add-ChatRoomMember -Room incident -User carol -Session $sb -ErrorAction Stop

        $null = Join-ChatRoom incident -Session $sc -ErrorAction Stop
        Send-ChatMessage -Session $sb -Room incident -Message 'welcome, carol' -ErrorAction Stop
        (Receive-Text $sc 'welcome, carol').Sender | Should -Be 'bob'
        (Get-ChatRoomMember incident -Session $sc | Where-Object UserName -eq 'bob').Role | Should -Be 'Admin'
    }
}
