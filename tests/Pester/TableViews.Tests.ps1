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

    It 'a contact whose device renewed its key fits 120 columns, with the date of the renewal and the safety number' {
        # As Get-ChatContact writes it (made directly: no server is needed to see the view).
        $record = [OpenChat.Engine.Client.ContactRecord]@{
            UserName = $longest; Trust = 'Verified'; Devices = [System.Collections.Generic.List[string]]@('AB' * 32)
            FirstSeen = [DateTimeOffset]::UtcNow.AddDays(-400); KeyRenewedAt = [DateTimeOffset]::new(2026, 11, 30, 12, 0, 0, [TimeSpan]::Zero)
            ReplacedDevices = [System.Collections.Generic.List[string]]@('CD' * 32)
        }
        $number = (1..12 | ForEach-Object { '12345' }) -join ' '
        $contact = [OpenChat.ChatContact].GetConstructors([System.Reflection.BindingFlags]'NonPublic,Instance')[0].Invoke(@($record, $number))
        $lines = Get-TestTableLines @($contact)
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        $lines[0] | Should -Match '^UserName\s+Trust\s+Devices\s+KeyRenewed\s+SafetyNumber'
        ($lines -join "`n") | Should -Match $contact.KeyRenewedAt.ToLocalTime().ToString('yyyy-MM-dd')
        ($lines -join "`n") | Should -Match ([regex]::Escape($number))
        $contact.ReplacedFingerprints | Should -Be @('CD' * 32)
    }
}
