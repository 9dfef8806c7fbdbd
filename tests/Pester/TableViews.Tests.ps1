#Requires -Version 7.6
# Issue 11: the table views of Get-ChatCertificate and Get-ChatInvite fit a 120-column terminal,
# with their key columns, even for the longest user names and a server certificate.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults
    $dir = New-TestCa -WithServer
    $longest = 'a' + ('b' * 30) + 'c'   # 32 characters, the most a user name may have
    $null = $longest, 'alice' | New-ChatCertificate -Path $dir -ErrorAction Stop
    $longestInvited = 'z' + ('y' * 30) + 'x'   # an invite cannot go to a name that holds a valid certificate
    $null = $longestInvited, 'bob' | New-ChatInvite -Path $dir -Server 'chat.example.org:7443' -ErrorAction Stop
    $null = Revoke-ChatCertificate -Path $dir -UserName alice -Confirm:$false -WarningAction SilentlyContinue -ErrorAction Stop

    function Get-TestTableLines($Objects) {
        ($Objects | Format-Table | Out-String -Width 120) -split "`r?`n" | Where-Object { $_.Trim() }
    }
}

Describe 'Table views fit 120 columns' {
    It 'Get-ChatCertificate: every line at most 120 characters, with Name, Kind, Status, NotAfter and Serial' {
        $certificates = @(Get-ChatCertificate -Path $dir)
        $lines = Get-TestTableLines $certificates
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        $lines[0] | Should -Match '^Name\s+Kind\s+Status\s+NotAfter\s+Serial'
        ($lines -join "`n") | Should -Match ([regex]::Escape($longest)) -Because 'the longest user name is shown whole'
        foreach ($c in $certificates) { ($lines -join "`n") | Should -Match $c.Serial }
        ($lines -join "`n") | Should -Match 'Revoked'
    }

    It 'Get-ChatInvite | Format-Table: every line at most 120 characters, with UserName, Status, ExpiresAt, Server and Id' {
        $invites = @(Get-ChatInvite -Path $dir)
        $lines = Get-TestTableLines $invites
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        $lines[0] | Should -Match '^UserName\s+Status\s+ExpiresAt\s+Server\s+Id'
        ($lines -join "`n") | Should -Match ([regex]::Escape($longestInvited))
        foreach ($i in $invites) { ($lines -join "`n") | Should -Match $i.Id }
        ($lines -join "`n") | Should -Match 'chat\.example\.org:7443'
    }

    It 'a new invite still shows its whole text by default (the list view)' {
        $new = New-ChatInvite -Path $dir -UserName carol -ErrorAction Stop
        ($new | Out-String -Width 120) | Should -Match ([regex]::Escape($new.Invite.Substring(0, 40)))
    }
}
