#Requires -Version 7.6
# Revoke-ChatCertificate, Get-ChatCertificate filters and Export-ChatRevocationList.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults

    # True when openssl's CRL text lists this serial (entries print as upper-case hex, no colons).
    function Test-CrlListsSerial([string] $CrlText, [string] $Serial) {
        $entries = [regex]::Matches($CrlText, 'Serial Number:\s*([0-9A-Fa-f:]+)') |
            ForEach-Object { Format-TestSerial $_.Groups[1].Value }
        (Format-TestSerial $Serial) -in $entries
    }

    function Get-CrlNumber([string] $CrlFile, [string[]] $Inform = @()) {
        $r = Invoke-OpenSsl crl -in $CrlFile @Inform -noout -crlnumber
        $m = [regex]::Match($r.Output, 'crlNumber=(?:0x)?([0-9A-Fa-f]+)')
        if (-not $m.Success) { throw "no CRL number in: $($r.Output)" }
        [Convert]::ToInt64($m.Groups[1].Value, 16)
    }
}

Describe 'Revoking certificates' {
    BeforeAll {
        $dir = New-TestCa
        $alice = New-ChatCertificate -Path $dir -UserName alice
        $bob1 = New-ChatCertificate -Path $dir -UserName bob
        $bob2 = New-ChatCertificate -Path $dir -UserName bob -AdditionalDevice
        $carol1 = New-ChatCertificate -Path $dir -UserName carol
        $carol2 = New-ChatCertificate -Path $dir -UserName carol -AdditionalDevice
        $dave = New-ChatCertificate -Path $dir -UserName dave
        $erin = New-ChatCertificate -Path $dir -UserName erin
        $frank = New-ChatCertificate -Path $dir -UserName frank
    }

    It 'revokes by serial, and -PassThru returns it Revoked with the reason' {
        $out = Revoke-ChatCertificate -Path $dir -Serial $alice.Serial -Reason KeyCompromise -PassThru -Confirm:$false
        $out | Should -HaveCount 1
        $out.Serial | Should -Be $alice.Serial
        $out.Status | Should -Be 'Revoked'
        $out.RevocationReason | Should -Be 'KeyCompromise'
        $out.RevokedAt | Should -Not -BeNullOrEmpty

        $stored = Get-ChatCertificate -Path $dir -Serial $alice.Serial
        $stored.Status | Should -Be 'Revoked'
        $stored.RevocationReason | Should -Be 'KeyCompromise'
        # Other certificates are untouched.
        (Get-ChatCertificate -Path $dir -Serial $dave.Serial).Status | Should -Be 'Valid'
    }

    It 'accepts a serial in lower case with colons' {
        $pretty = (($erin.Serial.ToLowerInvariant() -split '(..)' | Where-Object { $_ }) -join ':')
        Revoke-ChatCertificate -Path $dir -Serial $pretty -Confirm:$false -ErrorAction Stop
        (Get-ChatCertificate -Path $dir -Serial $erin.Serial).Status | Should -Be 'Revoked'
    }

    It 'revokes every device of a user with -UserName' {
        $out = @(Revoke-ChatCertificate -Path $dir -UserName carol -Reason Superseded -PassThru -Confirm:$false)
        $out | Should -HaveCount 2
        ($out.Serial | Sort-Object) | Should -Be (@($carol1.Serial, $carol2.Serial) | Sort-Object)
        $stored = @(Get-ChatCertificate -Path $dir -UserName carol)
        $stored | Should -HaveCount 2
        $stored | ForEach-Object { $_.Status | Should -Be 'Revoked'; $_.RevocationReason | Should -Be 'Superseded' }
    }

    It 'revokes from the pipeline: Get-ChatCertificate -UserName bob | Revoke-ChatCertificate' {
        Get-ChatCertificate -Path $dir -UserName bob | Revoke-ChatCertificate -Path $dir -Confirm:$false -ErrorAction Stop
        $stored = @(Get-ChatCertificate -Path $dir -UserName bob)
        $stored | Should -HaveCount 2
        $stored | ForEach-Object { $_.Status | Should -Be 'Revoked' }
    }

    It 'reports revoking twice as a non-terminating CertificateAlreadyRevoked and goes on with the next serial' {
        $out = Revoke-ChatCertificate -Path $dir -Serial $alice.Serial, $frank.Serial -PassThru -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CertificateAlreadyRevoked,*'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        # The second serial was still revoked: the error did not stop the command.
        @($out).Serial | Should -Be $frank.Serial
        (Get-ChatCertificate -Path $dir -Serial $frank.Serial).Status | Should -Be 'Revoked'
        # The first revocation's reason is kept.
        (Get-ChatCertificate -Path $dir -Serial $alice.Serial).RevocationReason | Should -Be 'KeyCompromise'
    }

    It 'reports a user whose certificates are all revoked as CertificateAlreadyRevoked' {
        $null = Revoke-ChatCertificate -Path $dir -UserName carol -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CertificateAlreadyRevoked,*'
    }

    It 'reports an unknown serial as CertificateNotFound' {
        $null = Revoke-ChatCertificate -Path $dir -Serial '0123456789ABCDEF0123' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CertificateNotFound,*'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports an unknown user as CertificateNotFound' {
        $null = Revoke-ChatCertificate -Path $dir -UserName nobody-here -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CertificateNotFound,*'
    }

    It 'reports a serial that is not hexadecimal as SerialInvalid' {
        $null = Revoke-ChatCertificate -Path $dir -Serial 'not-a-serial!' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'SerialInvalid,*'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a non-permanent reason (CertificateHold) with RevocationReasonInvalid and revokes nothing' {
        $hold = New-ChatCertificate -Path $dir -UserName holdme
        $null = Revoke-ChatCertificate -Path $dir -Serial $hold.Serial -Reason CertificateHold -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'RevocationReasonInvalid,*'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-ChatCertificate -Path $dir -Serial $hold.Serial).Status | Should -Be 'Valid'
    }

    It 'revokes nothing with -WhatIf' {
        Revoke-ChatCertificate -Path $dir -Serial $dave.Serial -WhatIf | Should -BeNullOrEmpty
        Revoke-ChatCertificate -Path $dir -UserName dave -WhatIf | Should -BeNullOrEmpty
        (Get-ChatCertificate -Path $dir -Serial $dave.Serial).Status | Should -Be 'Valid'
    }
}

Describe 'Get-ChatCertificate filters' {
    BeforeAll {
        $dir = New-TestCa
        $alice = New-ChatCertificate -Path $dir -UserName alice
        $bob = New-ChatCertificate -Path $dir -UserName bob
        $bill = New-ChatCertificate -Path $dir -UserName bill
        $server = New-ChatCertificate -Path $dir -Server -DnsName chat.example.org
        Revoke-ChatCertificate -Path $dir -Serial $bob.Serial -Confirm:$false -ErrorAction Stop
    }

    It 'lists everything without filters' {
        (Get-AllChatCertificates $dir).Serial | Sort-Object | Should -Be (@($alice, $bob, $bill, $server).Serial | Sort-Object)
    }

    It 'filters -Status Revoked' {
        $r = @(Get-ChatCertificate -Path $dir -Status Revoked)
        $r | Should -HaveCount 1
        $r[0].Serial | Should -Be $bob.Serial
    }

    It 'filters -Status Valid' {
        $v = @(Get-ChatCertificate -Path $dir -Status Valid)
        ($v.Serial | Sort-Object) | Should -Be (@($alice, $bill, $server).Serial | Sort-Object)
    }

    It 'filters -Status Expired (none yet)' {
        Get-ChatCertificate -Path $dir -Status Expired | Should -BeNullOrEmpty
    }

    It 'filters -Serial' {
        $one = @(Get-ChatCertificate -Path $dir -Serial $bill.Serial)
        $one | Should -HaveCount 1
        $one[0].UserName | Should -Be 'bill'
        Get-ChatCertificate -Path $dir -Serial 'ABCDEF0123456789' | Should -BeNullOrEmpty
    }

    It 'filters -UserName with wildcards' {
        $b = @(Get-ChatCertificate -Path $dir -UserName 'b*')
        ($b.UserName | Sort-Object) | Should -Be @('bill', 'bob')
        (Get-ChatCertificate -Path $dir -UserName '?lice').UserName | Should -Be 'alice'
        Get-ChatCertificate -Path $dir -UserName 'z*' | Should -BeNullOrEmpty
    }

    It 'matches user names case-insensitively' {
        (Get-ChatCertificate -Path $dir -UserName 'ALICE').Serial | Should -Be $alice.Serial
    }

    It 'combines -UserName and -Status' {
        (Get-ChatCertificate -Path $dir -UserName 'b*' -Status Valid).UserName | Should -Be 'bill'
    }

    It 'filters -Kind Server' {
        (Get-ChatCertificate -Path $dir -Kind Server).Serial | Should -Be $server.Serial
    }
}

Describe 'Export-ChatRevocationList' {
    BeforeAll {
        $dir = New-TestCa
        $caPem = Join-Path $dir 'ca.crt.pem'
        $crlPem = Join-Path $dir 'ca.crl.pem'
        $users = @('alice', 'bob', 'carol', 'dave') | New-ChatCertificate -Path $dir
        $server = New-ChatCertificate -Path $dir -Server -DnsName chat.example.org
        Revoke-ChatCertificate -Path $dir -Serial $users[0].Serial -Reason KeyCompromise -Confirm:$false -ErrorAction Stop
        Revoke-ChatCertificate -Path $dir -Serial $users[2].Serial -Confirm:$false -ErrorAction Stop
        Revoke-ChatCertificate -Path $dir -Serial $server.Serial -Confirm:$false -ErrorAction Stop
        $revoked = @($users[0].Serial, $users[2].Serial, $server.Serial)
        $first = Export-ChatRevocationList -Path $dir
    }

    It 'writes ca.crl.pem in the data directory and describes it' {
        $crlPem | Should -Exist
        $first.FilePath | Should -Be $crlPem
        $first.RevokedCount | Should -Be 3
        ($first.RevokedSerials | Sort-Object) | Should -Be ($revoked | Sort-Object)
        $first.NextUpdate | Should -BeGreaterThan $first.ThisUpdate
    }

    It 'is a CRL signed by the CA that openssl verifies' {
        $r = Invoke-OpenSsl crl -in $crlPem -CAfile $caPem -noout -verify
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match 'verify OK'
        (Invoke-OpenSsl crl -in $crlPem -noout -issuer).Output | Should -Match 'CN\s*=\s*Test CA'
    }

    It 'is rejected by openssl against a different CA (the verification is real)' {
        $other = New-TestCa -Name 'Other CA'
        $r = Invoke-OpenSsl crl -in $crlPem -CAfile (Join-Path $other 'ca.crt.pem') -noout -verify
        $r.Output | Should -Not -Match 'verify OK'
    }

    It 'lists every revoked serial and no valid one' {
        $text = (Invoke-OpenSsl crl -in $crlPem -noout -text).Output
        foreach ($serial in $revoked) {
            Test-CrlListsSerial $text $serial | Should -BeTrue -Because "$serial is revoked"
        }
        Test-CrlListsSerial $text $users[1].Serial | Should -BeFalse
        Test-CrlListsSerial $text $users[3].Serial | Should -BeFalse
        $text | Should -Match 'Key Compromise'
    }

    It 'makes openssl verify fail for a revoked certificate and pass for a valid one with -crl_check' {
        $revokedPem = Export-TestCertificatePem $users[0].Certificate (Join-Path $TestDrive 'revoked.pem')
        $validPem = Export-TestCertificatePem $users[1].Certificate (Join-Path $TestDrive 'valid.pem')
        $r = Invoke-OpenSsl verify -crl_check -CAfile $caPem -CRLfile $crlPem $revokedPem
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match 'revoked'
        (Invoke-OpenSsl verify -crl_check -CAfile $caPem -CRLfile $crlPem $validPem).Output | Should -Match ': OK'
    }

    It 'increases the CRL number on each export and lists new revocations' {
        $n1 = Get-CrlNumber $crlPem
        $n1 | Should -Be $first.Number
        Revoke-ChatCertificate -Path $dir -Serial $users[3].Serial -Confirm:$false -ErrorAction Stop
        $second = Export-ChatRevocationList -Path $dir
        $second.Number | Should -BeGreaterThan $first.Number
        $n2 = Get-CrlNumber $crlPem
        $n2 | Should -BeGreaterThan $n1
        $n2 | Should -Be $second.Number
        $second.RevokedCount | Should -Be 4
        Test-CrlListsSerial (Invoke-OpenSsl crl -in $crlPem -noout -text).Output $users[3].Serial | Should -BeTrue
        $third = Export-ChatRevocationList -Path $dir
        $third.Number | Should -BeGreaterThan $second.Number
    }

    It 'writes DER with -Encoding Der that openssl reads with -inform DER' {
        $der = Join-Path $TestDrive 'ca.crl.der'
        $out = Export-ChatRevocationList -Path $dir -OutFile $der -Encoding Der
        $out.FilePath | Should -Be $der
        [IO.File]::ReadAllBytes($der)[0] | Should -Be 0x30
        $r = Invoke-OpenSsl crl -inform DER -in $der -CAfile $caPem -noout -verify
        $r.Output | Should -Match 'verify OK'
        $text = (Invoke-OpenSsl crl -inform DER -in $der -noout -text).Output
        foreach ($serial in $revoked) { Test-CrlListsSerial $text $serial | Should -BeTrue }
        Get-CrlNumber $der -Inform '-inform', 'DER' | Should -Be $out.Number
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.crl.pem'
        Export-ChatRevocationList -Path $dir -OutFile $path -WhatIf | Should -BeNullOrEmpty
        $path | Should -Not -Exist
    }

    It 'exports an empty but valid CRL for a CA with no revocations' {
        $fresh = New-TestCa
        $null = New-ChatCertificate -Path $fresh -UserName alice
        $crl = Export-ChatRevocationList -Path $fresh
        $crl.RevokedCount | Should -Be 0
        (Invoke-OpenSsl crl -in $crl.FilePath -CAfile (Join-Path $fresh 'ca.crt.pem') -noout -verify).Output | Should -Match 'verify OK'
        (Invoke-OpenSsl crl -in $crl.FilePath -noout -text).Output | Should -Match 'No Revoked Certificates'
    }
}

Describe 'Revoking a user cancels their pending invites' {
    # A revoked user must not come back through an invite issued before the revocation; and
    # once the server has closed a revoked user's session, the commands say so.
    BeforeAll {
        $data = Join-Path $TestDrive 'chat'
        $server = Start-ChatServer -Path $data -Port 0 -ErrorAction Stop
        $address = "127.0.0.1:$($server.Port)"
        $bobInvite = New-ChatInvite -Path $data -UserName bob -Server $address -ErrorAction Stop
        $bob = Register-ChatUser -Invite $bobInvite.Invite -ProfilePath (Join-Path $TestDrive 'bob-laptop') -ErrorAction Stop
        # Issued before the revocation: a second device bob could still enroll.
        $spare = New-ChatInvite -Path $data -UserName bob -Server $address -AdditionalDevice -ErrorAction Stop
        $other = New-ChatInvite -Path $data -UserName carol -Server $address -ErrorAction Stop
        $session = Connect-ChatRoom -Identity $bob.Path -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $session -ErrorAction Stop

        $revoked = Revoke-ChatCertificate -Path $data -UserName bob -Reason AffiliationChanged -PassThru -Confirm:$false -WarningVariable revokeWarnings -WarningAction SilentlyContinue -ErrorAction Stop
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'says so, naming the cancelled invite' {
        $revoked.Status | Should -Be 'Revoked'
        $revokeWarnings | Should -HaveCount 1
        "$($revokeWarnings[0])" | Should -Match ([regex]::Escape($spare.Id))
        "$($revokeWarnings[0])" | Should -Match 'Cancelled 1 pending invite'
    }

    It 'shows the invite as cancelled by the revocation, and leaves other users'' invites alone' {
        $listed = Get-ChatInvite -Path $data -Id $spare.Id
        $listed.Status | Should -Be 'Revoked'
        $listed.CancelReason | Should -Match 'revoked'
        $listed.CancelReason | Should -Match ([regex]::Escape(($revoked.Serial -replace ':', '')))
        (Get-ChatInvite -Path $data -Id $other.Id).Status | Should -Be 'Pending'
        (Get-ChatInvite -Path $data -Id $other.Id).CancelReason | Should -BeNullOrEmpty
    }

    It 'refuses the invite made before the revocation at enrollment, with a clear error, and issues nothing' {
        $dir = Join-Path $TestDrive 'bob-phone'
        $err = Get-ChatErrorRecord { Register-ChatUser -Invite $spare.Invite -ProfilePath $dir }
        Get-ErrorId $err | Should -Be 'InviteRevoked'
        $err.Exception.Message | Should -Match 'revoked'
        $err.Exception.Message | Should -Match 'new one'
        @(Get-ChatIdentity -ProfilePath $dir) | Should -HaveCount 0
        @(Get-ChatCertificate -Path $data -UserName bob) | Should -HaveCount 1
    }

    It 'tells the revoked user that the certificate was revoked and reconnecting will not help' {
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ($session.State -ne 'Closed' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $session.State | Should -Be 'Closed'
        $err = Get-ChatErrorRecord { Send-ChatMessage -Room ops -Message 'still here?' }
        Get-ErrorId $err | Should -Be 'CertificateRevoked'
        $err.Exception.Message | Should -Match 'revoked'
        $err.Exception.Message | Should -Match 'will not help'
        $err.Exception.Message | Should -Not -Match 'Connect first'
    }

    It 'lets bob back with an invite issued after the revocation' {
        $again = New-ChatInvite -Path $data -UserName bob -Server $address -ErrorAction Stop
        $identity = Register-ChatUser -Invite $again.Invite -ProfilePath (Join-Path $TestDrive 'bob-again') -ErrorAction Stop
        $identity.UserName | Should -Be 'bob'
    }

    It 'cancels the invites of a user revoked by name who never enrolled' {
        $erin = New-ChatInvite -Path $data -UserName erin -Server $address -ErrorAction Stop
        Revoke-ChatCertificate -Path $data -UserName erin -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue -ErrorAction Stop
        "$w" | Should -Match ([regex]::Escape($erin.Id))
        (Get-ChatInvite -Path $data -Id $erin.Id).Status | Should -Be 'Revoked'
        Get-ErrorId (Get-ChatErrorRecord { Register-ChatUser -Invite $erin.Invite -ProfilePath (Join-Path $TestDrive 'erin') }) | Should -Be 'InviteRevoked'
    }
}
