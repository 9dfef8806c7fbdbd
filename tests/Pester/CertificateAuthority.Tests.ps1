#Requires -Version 7.6
# New-ChatCertificateAuthority / Get-ChatCertificateAuthority against the built module.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults
    $OwnerReadWrite = [IO.UnixFileMode]'UserRead, UserWrite'
    $OwnerAll = [IO.UnixFileMode]'UserRead, UserWrite, UserExecute'
}

Describe 'New-ChatCertificateAuthority creates a CA' {
    BeforeAll {
        $dir = New-TestDirectoryPath
        $ca = New-ChatCertificateAuthority -Path $dir -Name 'Acme Chat CA'
    }

    It 'returns the CA object with name, path, fingerprint and key algorithm' {
        $ca.Name | Should -Be 'Acme Chat CA'
        $ca.Path | Should -Be ([IO.Path]::GetFullPath($dir))
        $ca.KeyAlgorithm | Should -Be 'P256'
        $ca.KeyEncrypted | Should -BeFalse
        $ca.Fingerprint | Should -Match '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'
    }

    It 'writes the root certificate, the key and the store' {
        Join-Path $dir 'ca.crt.pem' | Should -Exist
        Join-Path $dir 'ca.key.pem' | Should -Exist
        Join-Path $dir 'openchat.db' | Should -Exist
        Get-Content -Raw (Join-Path $dir 'ca.key.pem') | Should -Match '-----BEGIN PRIVATE KEY-----'
    }

    It 'makes the key and the store owner-only (0600) and the directory 0700' {
        (Get-Item (Join-Path $dir 'ca.key.pem')).UnixFileMode | Should -Be $OwnerReadWrite
        (Get-Item (Join-Path $dir 'openchat.db')).UnixFileMode | Should -Be $OwnerReadWrite
        (Get-Item $dir).UnixFileMode | Should -Be $OwnerAll
    }

    It 'has a fingerprint equal to the SHA-256 fingerprint openssl computes' {
        $r = Invoke-OpenSsl x509 -in (Join-Path $dir 'ca.crt.pem') -noout -fingerprint -sha256
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match ([regex]::Escape($ca.Fingerprint))
    }

    It 'is a self-signed CA root with P-256 that openssl accepts' {
        $pem = Join-Path $dir 'ca.crt.pem'
        $text = (Invoke-OpenSsl x509 -in $pem -noout -text).Output
        $text | Should -Match 'Subject: CN\s*=\s*Acme Chat CA'
        $text | Should -Match 'Issuer: CN\s*=\s*Acme Chat CA'
        $text | Should -Match 'X509v3 Basic Constraints: critical\s+CA:TRUE'
        $text | Should -Match 'Certificate Sign'
        $text | Should -Match 'CRL Sign'
        $text | Should -Match 'NIST CURVE: P-256'
        (Invoke-OpenSsl verify -CAfile $pem $pem).Output | Should -Match ': OK'
    }

    It 'stores an unencrypted key openssl can read' {
        $r = Invoke-OpenSsl pkey -in (Join-Path $dir 'ca.key.pem') -noout -passin pass:
        $r.ExitCode | Should -Be 0
    }

    It 'is found again by Get-ChatCertificateAuthority, without the private key' {
        $again = Get-ChatCertificateAuthority -Path $dir
        $again.Fingerprint | Should -Be $ca.Fingerprint
        $again.Name | Should -Be 'Acme Chat CA'
        $again.Certificate.HasPrivateKey | Should -BeFalse
        $ca.Certificate.HasPrivateKey | Should -BeFalse
    }

    It 'starts with an empty certificate store' {
        Get-AllChatCertificates $dir | Should -HaveCount 0
    }
}

Describe 'Refusing to overwrite an existing CA' {
    BeforeAll {
        $dir = New-TestDirectoryPath
        $original = New-ChatCertificateAuthority -Path $dir -Name 'First CA'
        $null = New-ChatCertificate -Path $dir -UserName alice
    }

    It 'refuses without -Force with CaAlreadyExists / ResourceExists and leaves the CA untouched' {
        $err = Get-ChatErrorRecord { New-ChatCertificateAuthority -Path $dir -Name 'Second CA' }
        Get-ErrorId $err | Should -Be 'CaAlreadyExists'
        $err.FullyQualifiedErrorId | Should -BeLike 'CaAlreadyExists,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        (Get-ChatCertificateAuthority -Path $dir).Fingerprint | Should -Be $original.Fingerprint
        Get-ChatCertificate -Path $dir -UserName alice | Should -HaveCount 1
        Get-ChildItem $dir -Directory -Filter 'replaced-*' | Should -BeNullOrEmpty
    }

    It 'changes nothing with -Force -WhatIf' {
        $out = New-ChatCertificateAuthority -Path $dir -Name 'Second CA' -Force -WhatIf
        $out | Should -BeNullOrEmpty
        (Get-ChatCertificateAuthority -Path $dir).Fingerprint | Should -Be $original.Fingerprint
        Get-ChildItem $dir -Directory -Filter 'replaced-*' | Should -BeNullOrEmpty
    }

    It 'replaces with -Force -Confirm:$false and archives the old CA into replaced-*' {
        $new = New-ChatCertificateAuthority -Path $dir -Name 'Second CA' -Force -Confirm:$false
        $new.Name | Should -Be 'Second CA'
        $new.Fingerprint | Should -Not -Be $original.Fingerprint
        (Get-ChatCertificateAuthority -Path $dir).Fingerprint | Should -Be $new.Fingerprint

        $archive = @(Get-ChildItem $dir -Directory -Filter 'replaced-*')
        $archive | Should -HaveCount 1
        foreach ($file in 'ca.crt.pem', 'ca.key.pem', 'openchat.db') {
            Join-Path $archive[0].FullName $file | Should -Exist
        }
        $old = Invoke-OpenSsl x509 -in (Join-Path $archive[0].FullName 'ca.crt.pem') -noout -fingerprint -sha256
        $old.Output | Should -Match ([regex]::Escape($original.Fingerprint))
        # The archived key is still owner-only.
        (Get-Item (Join-Path $archive[0].FullName 'ca.key.pem')).UnixFileMode | Should -Be $OwnerReadWrite
        # The new CA starts with an empty store: alice was issued by the old one.
        Get-AllChatCertificates $dir | Should -HaveCount 0
    }
}

Describe 'Invalid CA requests' {
    It 'Get-ChatCertificateAuthority on a directory without a CA fails with CaNotFound' {
        $empty = New-Item -ItemType Directory -Path (New-TestDirectoryPath)
        $err = Get-ChatErrorRecord { Get-ChatCertificateAuthority -Path $empty.FullName }
        Get-ErrorId $err | Should -Be 'CaNotFound'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'New-ChatCertificate on a directory without a CA fails with CaNotFound' {
        $empty = New-Item -ItemType Directory -Path (New-TestDirectoryPath)
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $empty.FullName -UserName alice }
        Get-ErrorId $err | Should -Be 'CaNotFound'
    }

    It 'refuses a CA name with leading spaces with CaNameInvalid and creates nothing' {
        $dir = New-TestDirectoryPath
        $err = Get-ChatErrorRecord { New-ChatCertificateAuthority -Path $dir -Name '  padded' }
        Get-ErrorId $err | Should -Be 'CaNameInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Join-Path $dir 'ca.key.pem' | Should -Not -Exist
    }
}

Describe 'A password-protected CA' {
    BeforeAll {
        $pw = 'correct horse battery'
        $dir = New-TestCa -Password (ConvertTo-TestSecureString $pw)
        $key = Join-Path $dir 'ca.key.pem'
    }

    It 'stores the key encrypted and says so' {
        Get-Content -Raw $key | Should -Match '-----BEGIN ENCRYPTED PRIVATE KEY-----'
        (Get-ChatCertificateAuthority -Path $dir).KeyEncrypted | Should -BeTrue
        (Get-Item $key).UnixFileMode | Should -Be $OwnerReadWrite
    }

    It 'has a key openssl decrypts with the password and not without it' {
        (Invoke-OpenSsl pkey -in $key -passin "pass:$pw" -noout).ExitCode | Should -Be 0
        (Invoke-OpenSsl pkey -in $key -passin 'pass:not the password' -noout).ExitCode | Should -Not -Be 0
    }

    It 'refuses to issue without -CAPassword (CaPasswordRequired) and issues nothing' {
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName nopass }
        Get-ErrorId $err | Should -Be 'CaPasswordRequired'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        Get-ChatCertificate -Path $dir -UserName nopass | Should -BeNullOrEmpty
    }

    It 'refuses a wrong -CAPassword (CaPasswordWrong, AuthenticationError) and issues nothing' {
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName wrongpass -CAPassword (ConvertTo-TestSecureString 'wrong') }
        Get-ErrorId $err | Should -Be 'CaPasswordWrong'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        Get-ChatCertificate -Path $dir -UserName wrongpass | Should -BeNullOrEmpty
    }

    It 'issues with the right -CAPassword' {
        $c = New-ChatCertificate -Path $dir -UserName rightpass -CAPassword (ConvertTo-TestSecureString $pw)
        $c.UserName | Should -Be 'rightpass'
        Get-ChatCertificate -Path $dir -UserName rightpass | Should -HaveCount 1
        $pem = Export-TestCertificatePem $c.Certificate (Join-Path $TestDrive 'rightpass.pem')
        (Invoke-OpenSsl verify -CAfile (Join-Path $dir 'ca.crt.pem') $pem).Output | Should -Match ': OK'
    }

    It 'needs the password for a CRL but not for listing or revoking' {
        $err = Get-ChatErrorRecord { Export-ChatRevocationList -Path $dir }
        Get-ErrorId $err | Should -Be 'CaPasswordRequired'
        Join-Path $dir 'ca.crl.pem' | Should -Not -Exist

        $null = New-ChatCertificate -Path $dir -UserName revokeme -CAPassword (ConvertTo-TestSecureString $pw)
        Revoke-ChatCertificate -Path $dir -UserName revokeme -Confirm:$false -ErrorAction Stop
        (Get-ChatCertificate -Path $dir -UserName revokeme).Status | Should -Be 'Revoked'

        $crl = Export-ChatRevocationList -Path $dir -CAPassword (ConvertTo-TestSecureString $pw)
        $crl.RevokedCount | Should -Be 1
        Join-Path $dir 'ca.crl.pem' | Should -Exist
    }
}

Describe 'A P-384 CA' {
    BeforeAll {
        $dir = New-TestDirectoryPath
        $ca = New-ChatCertificateAuthority -Path $dir -Name 'Big CA' -KeyAlgorithm P384
    }

    It 'reports P384 and has a P-384 root signed with SHA-384' {
        $ca.KeyAlgorithm | Should -Be 'P384'
        $text = (Invoke-OpenSsl x509 -in (Join-Path $dir 'ca.crt.pem') -noout -text).Output
        $text | Should -Match 'NIST CURVE: P-384'
        $text | Should -Match 'ecdsa-with-SHA384'
    }

    It 'issues client certificates (P-256 keys) that openssl verifies against it' {
        $c = New-ChatCertificate -Path $dir -UserName alice
        $pem = Export-TestCertificatePem $c.Certificate (Join-Path $TestDrive 'p384-alice.pem')
        (Invoke-OpenSsl verify -CAfile (Join-Path $dir 'ca.crt.pem') $pem).Output | Should -Match ': OK'
        $text = (Invoke-OpenSsl x509 -in $pem -noout -text).Output
        $text | Should -Match 'NIST CURVE: P-256'
    }
}
