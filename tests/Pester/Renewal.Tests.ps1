#Requires -Version 7.6
# Issue 12, users' certificates: Update-ChatIdentity renews on demand (same key: the serial
# changes, the device fingerprint does not), over an open session or a connection of its own;
# Get-ChatCertificate shows which certificate renewed which; Register-ChatUser -Invite -Identity
# re-enrolls into the same profile; a real-time run with ten-minute certificates.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-renew-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'
    $filePassword = ConvertTo-TestSecureString 'file-password-42'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    function Register-TestUser($Server, [string] $UserName) {
        $invite = New-ChatInvite -Path $Server.Path -UserName $UserName -Server "127.0.0.1:$($Server.Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (New-TempPath $UserName) -ErrorAction Stop
    }

    function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for $What" }
            Start-Sleep -Milliseconds 50
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

Describe 'Update-ChatIdentity and Get-ChatCertificate' {
    BeforeAll {
        $script:Data = New-TempPath 'data'
        $script:Server = Start-ChatServer -Path $script:Data -Port 0 -Address 127.0.0.1 -RenewalGracePeriod 12h -ErrorAction Stop
        $script:Alice = Register-TestUser $script:Server alice
        $script:Bob = Register-TestUser $script:Server bob
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    }

    It 'renews on demand with the same key: the serial changes, the fingerprint does not' {
        $before = Get-ChatIdentity -ProfilePath (Split-Path $script:Alice.Path) alice
        $after = Update-ChatIdentity -Identity $script:Alice.Path -ErrorAction Stop
        $after | Should -BeOfType ([OpenChat.ChatIdentity])
        $after.Serial | Should -Not -Be $before.Serial
        $after.Fingerprint | Should -Be $before.Fingerprint
        $after.NotAfter | Should -BeGreaterOrEqual $before.NotAfter
        (Get-ChatIdentity -ProfilePath (Split-Path $script:Alice.Path) alice).Serial | Should -Be $after.Serial
        $script:FirstSerial = $before.Serial
        $script:SecondSerial = $after.Serial
    }

    It 'shows which certificate renewed which (RenewedFrom, RenewedBy), and the replaced one as Renewed' {
        $new = Get-ChatCertificate -Path $script:Data -Serial $script:SecondSerial
        $new.RenewedFrom | Should -Be $script:FirstSerial
        $new.RenewedBy | Should -BeNullOrEmpty
        $old = Get-ChatCertificate -Path $script:Data -Serial $script:FirstSerial
        $old.RenewedBy | Should -Be $script:SecondSerial
        $table = Get-ChatCertificate -Path $script:Data -UserName alice | Format-Table | Out-String -Width 200
        ($table -split "`n" | Where-Object { $_ -match $script:FirstSerial }) | Should -Match 'Renewed'
        ($table -split "`n" | Where-Object { $_ -match $script:SecondSerial }) | Should -Match 'Valid'
    }

    It 'does not count a renewed certificate as expiring' {
        $expiring = @(Get-ChatCertificate -Path $script:Data -ExpiringWithin 400d -Kind Client)
        $expiring.Serial | Should -Not -Contain $script:FirstSerial
        $expiring.Serial | Should -Contain $script:SecondSerial
    }

    It 'renews over the open session of the identity, which stays connected' {
        $session = Connect-ChatRoom -Identity $script:Alice.Path -ErrorAction Stop
        $renewed = Update-ChatIdentity -Identity $script:Alice.Path -ErrorAction Stop
        $renewed.Serial | Should -Not -Be $script:SecondSerial
        $session.State | Should -Be 'Connected'
        (Get-ChatCertificate -Path $script:Data -Serial $renewed.Serial).RenewedFrom | Should -Be $script:SecondSerial
        Disconnect-ChatRoom -Session $session
    }

    It 'still connects after a renewal and reads the history it kept' {
        # A user of its own: it chats before its first renewal (the end-to-end side of a renewal
        # under an open group is the group layer's, tested there).
        $erin = Register-TestUser $script:Server erin
        $sa = Connect-ChatRoom -Identity $erin.Path -ErrorAction Stop
        $sb = Connect-ChatRoom -Identity $script:Bob.Path -ErrorAction Stop
        $text = 'kept ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Send-ChatMessage -Session $sa -To bob -Message $text -ErrorAction Stop
        $got = Receive-ChatMessage -Session $sb -Room '@*' -Wait -Timeout 15 | Where-Object Text -eq $text | Select-Object -First 1
        $got.Sender | Should -Be 'erin'
        Wait-Until { @(Get-ChatMessage -Session $sa -Room '@bob+erin' -ErrorAction SilentlyContinue | Where-Object Text -eq $text).Count -eq 1 } 'erin to keep the message in her history'
        Disconnect-ChatRoom -All

        $renewed = Update-ChatIdentity -Identity $erin.Path -ErrorAction Stop
        $renewed.Fingerprint | Should -Be $erin.Fingerprint
        $again = Connect-ChatRoom -Identity $erin.Path -ErrorAction Stop
        $again.State | Should -Be 'Connected'
        @(Get-ChatMessage -Session $again -Room '@bob+erin' -ErrorAction Stop | Where-Object Text -eq $text) | Should -HaveCount 1
        (Get-ChatIdentity -ProfilePath (Split-Path $erin.Path) erin).Serial | Should -Be $renewed.Serial
        Disconnect-ChatRoom -All
    }

    It 'asks nothing of the server under -WhatIf' {
        $before = (Get-ChatIdentity -ProfilePath (Split-Path $script:Bob.Path) bob).Serial
        Update-ChatIdentity -Identity $script:Bob.Path -WhatIf
        (Get-ChatIdentity -ProfilePath (Split-Path $script:Bob.Path) bob).Serial | Should -Be $before
    }
}

Describe 'Register-ChatUser -Invite -Identity re-enrolls into the same profile' {
    BeforeAll {
        $script:Data = New-TempPath 'data'
        $script:Server = Start-ChatServer -Path $script:Data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $script:Carol = Register-TestUser $script:Server carol
        $script:Address = "127.0.0.1:$($script:Server.Port)"
    }

    It 'keeps refusing an invite into an existing profile without -Identity (ProfileExists)' {
        # The admin revoked carol's certificate (a lost laptop found again, say) and invited her again.
        $null = Revoke-ChatCertificate -Path $script:Data -Serial $script:Carol.Serial -Confirm:$false -ErrorAction Stop
        $script:Invite = (New-ChatInvite -Path $script:Data -UserName carol -Server $script:Address -ErrorAction Stop).Invite
        $err = Get-ChatErrorRecord { Register-ChatUser -Invite $script:Invite -ProfilePath (Split-Path $script:Carol.Path) }
        Get-ErrorId $err | Should -Be 'ProfileExists'
    }

    It 'refuses an invite for another user (ReenrollUserMismatch)' {
        $other = (New-ChatInvite -Path $script:Data -UserName dave -Server $script:Address -ErrorAction Stop).Invite
        $err = Get-ChatErrorRecord { Register-ChatUser -Invite $other -Identity $script:Carol.Path }
        Get-ErrorId $err | Should -Be 'ReenrollUserMismatch'
    }

    It 'replaces the certificate with the same key, and the identity connects again' {
        $again = Register-ChatUser -Invite $script:Invite -Identity $script:Carol.Path -ErrorAction Stop
        $again.Path | Should -Be $script:Carol.Path
        $again.Serial | Should -Not -Be $script:Carol.Serial
        $again.Fingerprint | Should -Be $script:Carol.Fingerprint
        $session = Connect-ChatRoom -Identity $again.Path -ErrorAction Stop
        $session.State | Should -Be 'Connected'
        Disconnect-ChatRoom -Session $session
    }
}

Describe 'Ten-minute certificates, renewed in real time through the cmdlets' {
    BeforeAll {
        $script:Data = New-TempPath 'data'
        $keys = New-TempPath 'keys'
        $null = New-ChatCertificateAuthority -Path $script:Data -Name 'Renewal CA' -ErrorAction Stop
        $null = New-ChatCertificate -Path $script:Data -Server -DnsName localhost -IPAddress 127.0.0.1 -ErrorAction Stop
        $brief = New-ChatCertificate -Path $script:Data -UserName brief -ValidFor 10m -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        $script:Server = Start-ChatServer -Path $script:Data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $script:Address = "127.0.0.1:$($script:Server.Port)"
        $fingerprint = (Get-ChatCertificateAuthority -Path $script:Data).Fingerprint
        $script:Brief = Register-ChatUser -Certificate $brief.OutFile -Server $script:Address -CertificatePassword $filePassword -CaFingerprint $fingerprint -ProfilePath (New-TempPath 'brief') -ErrorAction Stop
        $script:Bob = Register-TestUser $script:Server bob
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    }

    It 'renews a ten-minute certificate for another ten minutes, on its own and over the session, and chats' {
        $first = $script:Brief
        ($first.NotAfter - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeLessOrEqual 10
        $second = Update-ChatIdentity -Identity $first.Path -ErrorAction Stop
        $second.Serial | Should -Not -Be $first.Serial
        $second.Fingerprint | Should -Be $first.Fingerprint
        ($second.NotAfter - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 9
        $cert = Get-ChatCertificate -Path $script:Data -Serial $second.Serial
        $cert.RenewedFrom | Should -Be $first.Serial
        ($cert.NotAfter - $cert.IssuedAt).TotalMinutes | Should -BeGreaterThan 9.9
        ($cert.NotAfter - $cert.IssuedAt).TotalMinutes | Should -BeLessOrEqual 10

        $sa = Connect-ChatRoom -Identity $first.Path -ErrorAction Stop
        $sb = Connect-ChatRoom -Identity $script:Bob.Path -ErrorAction Stop
        $text = 'ten more minutes ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Send-ChatMessage -Session $sa -To bob -Message $text -ErrorAction Stop
        $got = Receive-ChatMessage -Session $sb -Room '@*' -Wait -Timeout 15 | Where-Object Text -eq $text | Select-Object -First 1
        $got.Sender | Should -Be 'brief'

        $third = Update-ChatIdentity -Identity $first.Path -ErrorAction Stop
        $third.Serial | Should -Not -Be $second.Serial
        $third.NotAfter | Should -BeGreaterOrEqual $second.NotAfter
        $sa.State | Should -Be 'Connected'
        (Get-ChatCertificate -Path $script:Data -Serial $third.Serial).RenewedFrom | Should -Be $second.Serial
    }

    It 'refuses to renew a revoked certificate (RenewalOfRevokedCertificate or refused at connect)' {
        $serial = (Get-ChatIdentity -ProfilePath (Split-Path $script:Brief.Path) brief).Serial
        Disconnect-ChatRoom -All
        $null = Revoke-ChatCertificate -Path $script:Data -Serial $serial -Confirm:$false -ErrorAction Stop
        $err = Get-ChatErrorRecord { Update-ChatIdentity -Identity $script:Brief.Path }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -BeIn @('ConnectionRefused', 'RenewalOfRevokedCertificate')
        (Get-ChatCertificate -Path $script:Data -Serial $serial).RenewedBy | Should -BeNullOrEmpty
    }
}

Describe 'A renewed device keeps its place in its rooms; -NewKey is "renewed its key" for contacts' {
    BeforeAll {
        $script:GroupData = New-TempPath 'group-data'
        $script:GroupServer = Start-ChatServer -Path $script:GroupData -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $script:Frank = Register-TestUser $script:GroupServer frank
        $script:Gina = Register-TestUser $script:GroupServer gina

        function Send-AndReceive($From, $To, [string] $Prefix) {
            $text = $Prefix + ' ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            $null = Send-ChatMessage -Session $From -Room team -Message $text -ErrorAction Stop
            Receive-ChatMessage -Session $To -Room team -Wait -Timeout 20 | Where-Object Text -eq $text | Select-Object -First 1
        }
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    }

    It 'chats in an existing room after a same-key renewal over the open session, and gina sees nothing' {
        $sf = Connect-ChatRoom -Identity $script:Frank.Path -ErrorAction Stop
        $sg = Connect-ChatRoom -Identity $script:Gina.Path -ErrorAction Stop
        $null = New-ChatRoom -Name team -Session $sf -ErrorAction Stop
        $null = Join-ChatRoom -Room team -Session $sg -ErrorAction Stop
        (Send-AndReceive $sf $sg 'before').Verified | Should -BeTrue
        $null = Confirm-ChatContact -Session $sg frank -Confirm:$false -ErrorAction Stop
        $null = Receive-ChatMessage -Session $sg -IncludeNotice -Timeout 1

        $renewed = Update-ChatIdentity -Identity $script:Frank.Path -ErrorAction Stop

        $renewed.Fingerprint | Should -Be $script:Frank.Fingerprint
        $got = Send-AndReceive $sf $sg 'after the renewal'
        $got.Verified | Should -BeTrue
        (Send-AndReceive $sg $sf 'answer').Verified | Should -BeTrue
        @(Receive-ChatMessage -Session $sg -IncludeNotice -Timeout 1 | Where-Object IsNotice) | Should -HaveCount 0
        (Get-ChatContact -Session $sg frank).Trust | Should -Be 'Verified'
    }

    It 'refuses -NewKey while a session of the identity is open (ProfileInUse)' {
        $before = (Get-ChatIdentity -ProfilePath (Split-Path $script:Frank.Path) frank).Fingerprint
        Update-ChatIdentity -Identity $script:Frank.Path -NewKey -ErrorAction SilentlyContinue -ErrorVariable failure | Out-Null
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ProfileInUse,*'
        (Get-ChatIdentity -ProfilePath (Split-Path $script:Frank.Path) frank).Fingerprint | Should -Be $before
    }

    It 'moves to a new key: the fingerprint changes, gina is told "renewed its key" and keeps her verification' {
        $sg = Get-ChatSession | Where-Object UserName -eq gina | Select-Object -First 1
        Get-ChatSession | Where-Object UserName -eq frank | ForEach-Object { Disconnect-ChatRoom -Session $_ }

        $moved = Update-ChatIdentity -Identity $script:Frank.Path -NewKey -ErrorAction Stop

        $moved.Fingerprint | Should -Not -Be $script:Frank.Fingerprint
        Join-Path $script:Frank.Path 'identity.handover' | Should -Exist
        $sf = Connect-ChatRoom -Identity $script:Frank.Path -ErrorAction Stop
        Wait-Until { @(Receive-ChatMessage -Session $sg -IncludeNotice -Timeout 1 | Where-Object { $_.IsNotice -and $_.Text -like '*frank renewed its key*' }).Count -gt 0 } 'gina to be told frank renewed his key'
        (Send-AndReceive $sf $sg 'under the new key').Verified | Should -BeTrue
        $contact = Get-ChatContact -Session $sg frank
        $contact.Trust | Should -Be 'Verified'
        $contact.KeyRenewedAt | Should -Not -BeNullOrEmpty
        # His history moved to the new key with him.
        @(Get-ChatMessage -Session $sf -Room team -ErrorAction Stop | Where-Object Text -like 'before *') | Should -HaveCount 1
    }
}
