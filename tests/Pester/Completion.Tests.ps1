# Argument completion as a user meets it at the prompt (TabExpansion2), and -WhatIf on the
# cmdlets that change things on the server.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    $script:work = Join-Path ([IO.Path]::GetTempPath()) "oc-complete-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory $work | Out-Null
    $script:savedHome = $env:OPENCHAT_HOME
    $env:OPENCHAT_HOME = Join-Path $work 'home'
    $script:data = Join-Path $work 'chat'
    $script:server = Start-ChatServer -Path $data -Port 0
    foreach ($user in 'alice', 'albert', 'bob') {
        $invite = New-ChatInvite -Path $data -UserName $user -Server "127.0.0.1:$($server.Port)"
        Register-ChatUser -Invite $invite.Invite | Out-Null
    }
    $script:alice = Connect-ChatRoom -Identity alice
    $null = New-ChatRoom -Name ops, 'release-1' -Session $alice
    $script:bob = Connect-ChatRoom -Identity bob -Room ops
    'hello' | Send-ChatMessage -Session $bob -Room ops
    $null = Receive-ChatMessage -Session $alice -Room ops -Wait -Count 1 -Timeout 15

    function Complete([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $savedHome
    if ((Split-Path -Leaf $work) -like 'oc-complete-*') { Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Argument completion' {
    It 'completes rooms the session has joined' {
        Complete 'Send-ChatMessage -Session $alice -Room re' | Should -Be @('release-1')
        Complete 'Receive-ChatMessage -Session $alice -Room ' | Should -Be @('ops', 'release-1')
    }

    It 'completes identities from the profile folder' {
        $names = Complete 'Connect-ChatRoom -Identity al'
        $names | Should -HaveCount 2
        $names | ForEach-Object { $_ | Should -Match '^al(ice|bert)@127\.0\.0\.1-\d+$' }
    }

    It 'completes users of a CA from its data directory' {
        Complete "Get-ChatCertificate -Path '$data' -UserName al" | Should -Be @('albert', 'alice')
    }

    It 'completes contacts the session has seen' {
        Complete 'Get-ChatContact -Session $alice ' | Should -Be @('bob')
    }

    It 'completes servers from the enrolled identities' {
        Complete 'Connect-ChatRoom -Server ' | Should -Contain "127.0.0.1:$($server.Port)"
    }
}

Describe '-WhatIf on changes' {
    It 'sends nothing with Send-ChatMessage -WhatIf' {
        $before = $server.MessagesStored
        'not sent' | Send-ChatMessage -Session $alice -Room ops -WhatIf
        $server.MessagesStored | Should -Be $before
    }

    It 'joins nothing with Join-ChatRoom -WhatIf' {
        Join-ChatRoom -Session $alice -Room never-made -WhatIf
        (Get-ChatRoom -Session $alice).Name | Should -Not -Contain 'never-made'
    }
}
