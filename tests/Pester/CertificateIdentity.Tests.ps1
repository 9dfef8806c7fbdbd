#Requires -Version 7.6
# Issue 11, the admin path without dead ends: New-ChatCertificate -OutDirectory writes one
# password-protected PKCS#12 per user (and refuses to leave a key only in an object), and
# Register-ChatUser -Certificate turns such a file into an identity that chats through a real
# server, pinned to the CA; the refusals (wrong CA, foreign certificate, wrong password, a
# server certificate) store nothing.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-certid-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'
    $OwnerReadWrite = [IO.UnixFileMode]'UserRead, UserWrite'
    $filePassword = ConvertTo-TestSecureString 'file-password-42'
}

AfterAll {
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path $script:Root)) { Remove-Item -LiteralPath $script:Root -Recurse -Force }
}

Describe 'New-ChatCertificate keeps generated keys out of console-only objects' {
    BeforeAll {
        $dir = New-TestCa
        $csv = Join-Path $TestDrive 'users.csv'
        'UserName', 'alice', 'bob', 'system', 'carol' | Set-Content -LiteralPath $csv
    }

    It 'refuses a keyed user certificate without -OutFile or -OutDirectory (KeyOutputRequired) and issues nothing' {
        $err = Get-ChatErrorRecord { Import-Csv $csv | New-ChatCertificate -Path $dir }
        Get-ErrorId $err | Should -Be 'KeyOutputRequired'
        $err.Exception.Message | Should -Match '-OutDirectory'
        Get-ChatCertificate -Path $dir | Should -BeNullOrEmpty
    }

    It 'writes one PKCS#12 per CSV row into -OutDirectory, mode 0600, with the CA certificate; a bad row does not stop the others' {
        $keys = Join-Path $TestDrive 'keys'
        $issued = @(Import-Csv $csv | New-ChatCertificate -Path $dir -OutDirectory $keys -CertificatePassword $filePassword -ErrorVariable bad -ErrorAction SilentlyContinue)
        $issued.UserName | Should -Be @('alice', 'bob', 'carol')
        Get-ErrorId $bad[0] | Should -Be 'UserNameReserved'
        (Get-ChildItem $keys).Name | Sort-Object | Should -Be @('alice.pfx', 'bob.pfx', 'carol.pfx')
        (Get-Item $keys).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        foreach ($c in $issued) {
            $c.OutFile | Should -Be (Join-Path $keys "$($c.UserName).pfx")
            (Get-Item $c.OutFile).UnixFileMode | Should -Be $OwnerReadWrite
            $certs = Invoke-OpenSsl pkcs12 -in $c.OutFile -passin 'pass:file-password-42' -nokeys
            $certs.ExitCode | Should -Be 0
            ([regex]::Matches($certs.Output, 'BEGIN CERTIFICATE')).Count | Should -Be 2 -Because 'the CA certificate travels with the user''s'
            (Invoke-OpenSsl pkcs12 -in $c.OutFile -passin 'pass:wrong' -nokeys).ExitCode | Should -Not -Be 0
        }
    }

    It 'refuses -OutDirectory without a password (PasswordRequired) and an existing file without -Force (OutputFileExists)' {
        $keys = Join-Path $TestDrive 'keys2'
        Get-ErrorId (Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName dave -OutDirectory $keys }) | Should -Be 'PasswordRequired'
        Get-ChatCertificate -Path $dir -UserName dave | Should -BeNullOrEmpty
        $null = New-ChatCertificate -Path $dir -UserName dave -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        Get-ErrorId (Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName dave -AdditionalDevice -OutDirectory $keys -Password $filePassword }) | Should -Be 'OutputFileExists'
        @(Get-ChatCertificate -Path $dir -UserName dave) | Should -HaveCount 1
    }

    It 'signs a CSR row into erin.crt.pem (certificate, then CA) without needing a password' {
        $keys = Join-Path $TestDrive 'keys3'
        $csr = New-TestCsr -Directory $TestDrive -Subject '/CN=erin' -Name erin
        $c = New-ChatCertificate -Path $dir -UserName erin -CertificateRequest $csr -OutDirectory $keys -ErrorAction Stop
        $c.OutFile | Should -Be (Join-Path $keys 'erin.crt.pem')
        ([regex]::Matches((Get-Content -Raw $c.OutFile), 'BEGIN CERTIFICATE')).Count | Should -Be 2
        (Invoke-OpenSsl verify -CAfile (Join-Path $dir 'ca.crt.pem') $c.OutFile).Output | Should -Match ': OK'
    }
}

Describe 'Register-ChatUser -Certificate: an identity from the admin''s file' {
    BeforeAll {
        $data = Join-Path $script:Root 'data'
        # The server certificate is issued (and written to a PKCS#12 to try as an identity) before the server starts with it.
        $null = New-ChatCertificateAuthority -Path $data -Name 'Chat CA' -ErrorAction Stop
        $null = New-ChatCertificate -Path $data -Server -DnsName localhost -IPAddress 127.0.0.1 -OutFile (Join-Path $script:Root 'server.pfx') -Password $filePassword -ErrorAction Stop
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $address = "127.0.0.1:$($server.Port)"
        $keys = Join-Path $script:Root 'keys'
        $null = 'alice', 'mallet' | New-ChatCertificate -Path $data -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        $fingerprint = (Get-ChatCertificateAuthority -Path $data).Fingerprint

        $otherCa = New-TestCa -Name 'Other CA'
        $null = New-ChatCertificate -Path $otherCa -UserName mallory -OutDirectory (Join-Path $script:Root 'foreign') -Password $filePassword -ErrorAction Stop

        $bobInvite = New-ChatInvite -Path $data -UserName bob -Server $address -ErrorAction Stop
        $bob = Register-ChatUser -Invite $bobInvite.Invite -ProfilePath (Join-Path $script:Root 'bob') -ErrorAction Stop
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'refuses a CA fingerprint other than the file''s (CaFingerprintMismatch) and stores nothing' {
        $wrong = ('AB:' * 31) + 'AB'
        $err = Get-ChatErrorRecord { Register-ChatUser -Certificate (Join-Path $keys 'alice.pfx') -Server $address -CertificatePassword $filePassword -CaFingerprint $wrong }
        Get-ErrorId $err | Should -Be 'CaFingerprintMismatch'
        Get-ChatIdentity -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a wrong file password (CertificatePasswordWrong)' {
        $err = Get-ChatErrorRecord { Register-ChatUser -Certificate (Join-Path $keys 'alice.pfx') -Server $address -CertificatePassword (ConvertTo-TestSecureString 'nope') }
        Get-ErrorId $err | Should -Be 'CertificatePasswordWrong'
        $err.ToString() | Should -Not -Match 'file-password-42'
    }

    It 'refuses a certificate from another CA under the pinned fingerprint (CaFingerprintMismatch: its file carries its own CA)' {
        $err = Get-ChatErrorRecord { Register-ChatUser -Certificate (Join-Path $script:Root 'foreign/mallory.pfx') -Server $address -CertificatePassword $filePassword -CaFingerprint $fingerprint }
        Get-ErrorId $err | Should -Be 'CaFingerprintMismatch'
    }

    It 'refuses the server''s own certificate as an identity (CertificateNotForClients)' {
        $err = Get-ChatErrorRecord { Register-ChatUser -Certificate (Join-Path $script:Root 'server.pfx') -Server $address -CertificatePassword $filePassword -CaFingerprint $fingerprint }
        Get-ErrorId $err | Should -Be 'CertificateNotForClients'
        Get-ChatIdentity -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'makes an identity pinned to the CA, which then talks end to end with a user enrolled by invite' {
        $alice = Register-ChatUser -Certificate (Join-Path $keys 'alice.pfx') -Server $address -CertificatePassword $filePassword -CaFingerprint $fingerprint -ErrorAction Stop
        $alice.UserName | Should -Be 'alice'
        $alice.Server | Should -Be $address
        $alice.CaFingerprint | Should -Be $fingerprint
        (Get-Item (Join-Path $alice.Path 'identity.key.pem')).UnixFileMode | Should -Be $OwnerReadWrite

        $sb = Connect-ChatRoom -Identity $bob.Path -ErrorAction Stop
        $sa = Connect-ChatRoom -Identity $alice.Path -ErrorAction Stop
        $text = 'from a pfx ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Send-ChatMessage -Session $sa -To bob -Message $text -ErrorAction Stop
        $got = Receive-ChatMessage -Session $sb -Room '@*' -Wait -Timeout 15 | Where-Object Text -eq $text | Select-Object -First 1
        $got.Sender | Should -Be 'alice'
        $got.Verified | Should -BeTrue
    }

    It 'makes an identity from a certificate signed from the user''s own CSR and key (PEM), which needs the fingerprint' {
        $csr = New-TestCsr -Directory $script:Root -Subject '/CN=dave' -Name dave
        $pem = Join-Path $script:Root 'dave.crt.pem'
        $null = New-ChatCertificate -Path $data -UserName dave -CertificateRequest $csr -OutFile $pem -ErrorAction Stop
        $key = Join-Path $script:Root 'dave.key.pem'
        $key | Should -Exist
        $home3 = Join-Path $script:Root 'home3'
        Get-ErrorId (Get-ChatErrorRecord { Register-ChatUser -Certificate $pem -KeyFile $key -Server $address -ProfilePath $home3 }) | Should -Be 'CaFingerprintRequired'
        $dave = Register-ChatUser -Certificate $pem -KeyFile $key -Server $address -CaFingerprint $fingerprint -ProfilePath $home3 -ErrorAction Stop
        $dave.UserName | Should -Be 'dave'
        $dave.CaFingerprint | Should -Be $fingerprint
    }

    It 'refuses a certificate another CA issued, even bundled with the pinned CA (CertificateNotFromCa)' {
        $csr = New-TestCsr -Directory $script:Root -Subject '/CN=trudy' -Name trudy
        $foreignPem = Join-Path $script:Root 'trudy.foreign.pem'
        $null = New-ChatCertificate -Path $otherCa -UserName trudy -CertificateRequest $csr -OutFile $foreignPem -ErrorAction Stop
        # The foreign certificate alone, then this server's CA: as if someone swapped the certificate in a bundle.
        $leaf = [regex]::Match((Get-Content -Raw $foreignPem), '(?s)-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----').Value
        $bundle = Join-Path $script:Root 'trudy.bundle.pem'
        Set-Content -LiteralPath $bundle -Value ($leaf + "`n" + (Get-Content -Raw (Join-Path $data 'ca.crt.pem')))
        $err = Get-ChatErrorRecord { Register-ChatUser -Certificate $bundle -KeyFile (Join-Path $script:Root 'trudy.key.pem') -Server $address -CaFingerprint $fingerprint -ProfilePath (Join-Path $script:Root 'home4') }
        Get-ErrorId $err | Should -Be 'CertificateNotFromCa'
        Join-Path $script:Root 'home4' | Should -Not -Exist
    }

    It 'pins the CA carried in the password-protected file when no fingerprint is given' {
        $home2 = Join-Path $script:Root 'home2'
        $mallet = Register-ChatUser -Certificate (Join-Path $keys 'mallet.pfx') -Server $address -CertificatePassword $filePassword -ProfilePath $home2 -ErrorAction Stop
        $mallet.CaFingerprint | Should -Be $fingerprint
    }
}
