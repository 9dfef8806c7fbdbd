#Requires -Version 7.6
# Rooms are created on purpose, not by a typo (issue 11): joining, entering or sending to a room
# that does not exist is RoomNotFound with the nearest existing rooms suggested, and creates
# nothing; New-ChatRoom and Join-ChatRoom -Create create; capitals in room names are folded.
# The Its share one server and run in order.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-rooms-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    $script:Server = Start-ChatServer -Path (Join-Path $script:Root 'data') -Port 0 -Address 127.0.0.1 -ErrorAction Stop
    $identities = @{}
    foreach ($user in 'alice', 'bob') {
        $invite = New-ChatInvite -Path $script:Server.Path -UserName $user -Server "127.0.0.1:$($script:Server.Port)" -ErrorAction Stop
        $identities[$user] = Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $script:Root $user) -ErrorAction Stop
    }
    $script:sb = Connect-ChatRoom -Identity $identities.bob.Path -ErrorAction Stop
    $script:sa = Connect-ChatRoom -Identity $identities.alice.Path -ErrorAction Stop
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    if ($script:Server) { Stop-ChatServer -Server $script:Server -Confirm:$false -ErrorAction SilentlyContinue }
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ((Split-Path -Leaf $script:Root) -like 'oc-rooms-*') { Remove-Item $script:Root -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Creating rooms on purpose' {
    It 'New-ChatRoom -Name Ops creates the room ops and returns it' {
        $room = New-ChatRoom -Name Ops -Session $sa -ErrorAction Stop
        $room.Name | Should -BeExactly 'ops'
        $room.IsMember | Should -BeTrue
        @((Get-ChatRoom -Session $sb).Name) | Should -Contain 'ops'
        @((Get-ChatRoom -Session $sb).Name) -ccontains 'Ops' | Should -BeFalse
    }

    It 'refuses New-ChatRoom for a room that exists with RoomExists, and joins nothing' {
        $err = Get-ChatErrorRecord { New-ChatRoom -Name ops -Session $sb }
        Get-ErrorId $err | Should -Be 'RoomExists'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        (Get-ChatRoom -Session $sb -Name ops).IsMember | Should -BeFalse
        $sb.Rooms | Should -Not -Contain 'ops'
    }

    It 'Send-ChatMessage -Room opss is RoomNotFound with ops suggested, and creates nothing' {
        $before = $Server.MessagesStored
        $err = Get-ChatErrorRecord { Send-ChatMessage -Session $sa -Room opss -Message 'deploying now' }
        Get-ErrorId $err | Should -Be 'RoomNotFound'
        $err.Exception.Message | Should -BeExactly "There is no room 'opss'. Did you mean: ops? Create it with New-ChatRoom -Name opss."
        @((Get-ChatRoom -Session $sa).Name) | Should -Not -Contain 'opss'
        @((Get-ChatRoom -Session $sb).Name) | Should -Not -Contain 'opss'
        $sa.Rooms | Should -Not -Contain 'opss'
        $sa.PendingMessages | Should -Be 0 -Because 'a message to a room that does not exist is not kept to be sent later'
        $Server.MessagesStored | Should -Be $before
    }

    It 'Join-ChatRoom of a missing room (in capitals) gives the same RoomNotFound with the suggestion' {
        $join = Get-ChatErrorRecord { Join-ChatRoom -Room OPSS -Session $sb }
        Get-ErrorId $join | Should -Be 'RoomNotFound'
        $join.Exception.Message | Should -Match ([regex]::Escape("There is no room 'opss'. Did you mean: ops?"))
        $join.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @((Get-ChatRoom -Session $sb).Name) | Should -Not -Contain 'opss'
    }

    It 'Join-ChatRoom of an existing room in capitals joins it' {
        $room = Join-ChatRoom -Room OPS -Session $sb -ErrorAction Stop
        $room.Name | Should -BeExactly 'ops'
        $sb.Rooms | Should -Contain 'ops'
        'hello in capitals' | Send-ChatMessage -Session $sb -Room Ops -ErrorAction Stop
        $got = Receive-ChatMessage -Session $sa -Room ops -Wait -Timeout 15 -WarningAction SilentlyContinue |
            Where-Object Text -eq 'hello in capitals' | Select-Object -First 1
        $got.Room | Should -BeExactly 'ops'
    }

    It 'Join-ChatRoom -Create creates a missing room, and joins one that exists' {
        $created = Join-ChatRoom -Room release-2026.2 -Create -Session $sa -ErrorAction Stop
        $created.Name | Should -Be 'release-2026.2'
        $joined = Join-ChatRoom -Room release-2026.2 -Create -Session $sb -ErrorAction Stop
        $joined.Name | Should -Be 'release-2026.2'
        (@(Get-ChatRoomMember release-2026.2 -Session $sa).UserName | Sort-Object) -join ',' | Should -Be 'alice,bob'
    }

    It 'writes one error per name and still creates the others' {
        $made = @(New-ChatRoom -Name dev, ops, '#bad' -Session $sa -ErrorVariable problems -ErrorAction SilentlyContinue)
        $made.Name | Should -Be @('dev')
        @($problems | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('RoomExists', 'RoomNameInvalid')
    }

    It 'New-ChatRoom -WhatIf creates nothing' {
        New-ChatRoom -Name never-made -Session $sa -WhatIf
        @((Get-ChatRoom -Session $sa).Name) | Should -Not -Contain 'never-made'
    }
}
