#Requires -Version 7.6
# Every issuance policy rule: the request is refused with a stable error id, and the store holds
# no certificate for it afterwards.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults

    # Runs a refused request and checks the error id, the category and that the store is unchanged.
    function Assert-Refused {
        param(
            [Parameter(Mandatory)] [string] $Directory,
            [Parameter(Mandatory)] [scriptblock] $ScriptBlock,
            [Parameter(Mandatory)] [string] $ErrorId,
            [string] $Category
        )
        $before = @(Get-AllChatCertificates $Directory | ForEach-Object Serial)
        $err = Get-ChatErrorRecord $ScriptBlock
        $err | Should -Not -BeNullOrEmpty -Because 'the request must be refused'
        $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        if ($Category) { $err.CategoryInfo.Category | Should -Be $Category }
        $after = @(Get-AllChatCertificates $Directory | ForEach-Object Serial)
        $after.Count | Should -Be $before.Count -Because 'a refused request stores nothing'
        $err
    }
}

Describe 'User name rules' {
    BeforeAll { $dir = New-TestCa }

    It 'refuses the invalid name <Name> (<Why>) with UserNameInvalid' -ForEach @(
        @{ Name = 'a'; Why = 'too short' }
        @{ Name = ('a' * 33); Why = '33 characters' }
        @{ Name = '1alice'; Why = 'starts with a digit' }
        @{ Name = 'alice smith'; Why = 'contains a space' }
        @{ Name = 'alice/bob'; Why = 'contains a slash' }
        @{ Name = 'alice-'; Why = 'ends with a dash' }
        @{ Name = 'zoë'; Why = 'not ASCII' }
        @{ Name = '   '; Why = 'only spaces' }
        @{ Name = ' alice'; Why = 'leading space' }
        @{ Name = "alice`n"; Why = 'trailing newline' }
        @{ Name = 'al*ce'; Why = 'wildcard character' }
        @{ Name = '-alice'; Why = 'starts with a dash' }
    ) {
        Assert-Refused -Directory $dir -ErrorId 'UserNameInvalid' -Category 'InvalidArgument' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName $Name
        }
        Get-AllChatCertificates $dir | Where-Object Name -EQ $Name | Should -BeNullOrEmpty
    }

    It 'accepts a name of exactly 32 characters and one of 2' {
        $long = 'b' * 32
        (New-ChatCertificate -Path $dir -UserName $long).UserName | Should -Be $long
        (New-ChatCertificate -Path $dir -UserName 'bo').UserName | Should -Be 'bo'
        (New-ChatCertificate -Path $dir -UserName 'j.doe_2-x').UserName | Should -Be 'j.doe_2-x'
    }

    It 'refuses the reserved name <_> with UserNameReserved' -ForEach @('server', 'System', 'ADMIN', 'root') {
        $name = $_
        Assert-Refused -Directory $dir -ErrorId 'UserNameReserved' -Category 'SecurityError' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName $name
        }
        Get-ChatCertificate -Path $dir -UserName $name | Should -BeNullOrEmpty
    }
}

Describe 'Duplicate names' {
    BeforeAll {
        $dir = New-TestCa
        $first = New-ChatCertificate -Path $dir -UserName alice
    }

    It 'refuses the same name again with UserNameTaken' {
        Assert-Refused -Directory $dir -ErrorId 'UserNameTaken' -Category 'ResourceExists' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName alice
        }
        Get-ChatCertificate -Path $dir -UserName alice | Should -HaveCount 1
    }

    It 'refuses a name differing only in case (Alice after alice) with UserNameTaken' {
        Assert-Refused -Directory $dir -ErrorId 'UserNameTaken' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName Alice
        }
        Get-ChatCertificate -Path $dir -UserName alice | Should -HaveCount 1
    }

    It 'refuses a CSR for a taken name with UserNameTaken' {
        $csr = New-TestCsr -Directory (Join-Path $TestDrive 'dup') -Subject '/CN=alice'
        Assert-Refused -Directory $dir -ErrorId 'UserNameTaken' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName alice
        }
    }

    It 'allows a second device with -AdditionalDevice' {
        $second = New-ChatCertificate -Path $dir -UserName alice -AdditionalDevice
        $second.UserName | Should -Be 'alice'
        $second.Serial | Should -Not -Be $first.Serial
        $all = @(Get-ChatCertificate -Path $dir -UserName alice)
        $all | Should -HaveCount 2
        $all | ForEach-Object { $_.Status | Should -Be 'Valid' }
    }

    It 'lets a name be issued again once all its certificates are revoked' {
        $null = New-ChatCertificate -Path $dir -UserName leaver
        Assert-Refused -Directory $dir -ErrorId 'UserNameTaken' -ScriptBlock { New-ChatCertificate -Path $dir -UserName leaver }
        Revoke-ChatCertificate -Path $dir -UserName leaver -Confirm:$false -ErrorAction Stop
        $again = New-ChatCertificate -Path $dir -UserName leaver
        $again.Status | Should -Be 'Valid'
        @(Get-ChatCertificate -Path $dir -UserName leaver) | Should -HaveCount 2
    }
}

Describe 'Names of the server itself' {
    BeforeAll {
        $dir = New-TestCa
        $null = New-ChatCertificate -Path $dir -Server -DnsName chathost, chat-alt.example.org -IPAddress 127.0.0.1
    }

    It 'refuses a user named like the server certificate''s DNS name with UserNameReserved' {
        Assert-Refused -Directory $dir -ErrorId 'UserNameReserved' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName chathost
        }
        Get-ChatCertificate -Path $dir -UserName chathost | Should -BeNullOrEmpty
    }

    It 'refuses it case-insensitively (ChatHost)' {
        Assert-Refused -Directory $dir -ErrorId 'UserNameReserved' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName ChatHost
        }
    }

    It 'refuses a user named like the server''s second DNS name with UserNameReserved' {
        Assert-Refused -Directory $dir -ErrorId 'UserNameReserved' -ScriptBlock {
            New-ChatCertificate -Path $dir -UserName chat-alt.example.org
        }
        Get-ChatCertificate -Path $dir -UserName chat-alt.example.org | Should -BeNullOrEmpty
    }

    It 'refuses a CSR for the server''s name with UserNameReserved' {
        $csr = New-TestCsr -Directory (Join-Path $TestDrive 'srv') -Subject '/CN=chathost'
        Assert-Refused -Directory $dir -ErrorId 'UserNameReserved' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName chathost
        }
    }
}

Describe 'CSR rules' {
    BeforeAll {
        $dir = New-TestCa
        $work = Join-Path $TestDrive 'csrs'
        $null = New-Item -ItemType Directory -Path $work
    }

    It 'refuses a CSR with an RSA key with CsrKeyNotAllowed' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=dave' -NewKey @('-newkey', 'rsa:2048')
        Assert-Refused -Directory $dir -ErrorId 'CsrKeyNotAllowed' -Category 'SecurityError' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName dave
        }
        Get-ChatCertificate -Path $dir -UserName dave | Should -BeNullOrEmpty
    }

    It 'refuses a CSR with a P-384 key with CsrKeyNotAllowed' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=dave' -NewKey @('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384')
        Assert-Refused -Directory $dir -ErrorId 'CsrKeyNotAllowed' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName dave
        }
        Get-ChatCertificate -Path $dir -UserName dave | Should -BeNullOrEmpty
    }

    It 'refuses a correctly signed CSR with an Ed25519 key with CsrKeyNotAllowed' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=dave' -NewKey @('-newkey', 'ed25519')
        Assert-Refused -Directory $dir -ErrorId 'CsrKeyNotAllowed' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName dave
        }
    }

    It 'refuses a CSR for /CN=mallory signed for -UserName dave with CsrSubjectMismatch' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=mallory'
        Assert-Refused -Directory $dir -ErrorId 'CsrSubjectMismatch' -Category 'SecurityError' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName dave
        }
        Get-ChatCertificate -Path $dir -UserName dave | Should -BeNullOrEmpty
        Get-ChatCertificate -Path $dir -UserName mallory | Should -BeNullOrEmpty
    }

    It 'refuses a CSR with extra subject attributes (/CN=dave/O=Evil) with CsrSubjectMismatch' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=dave/O=Evil'
        Assert-Refused -Directory $dir -ErrorId 'CsrSubjectMismatch' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName dave
        }
        Get-ChatCertificate -Path $dir -UserName dave | Should -BeNullOrEmpty
    }

    It 'refuses a CSR with two common names with CsrSubjectMismatch' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=dave/CN=admin'
        Assert-Refused -Directory $dir -ErrorId 'CsrSubjectMismatch' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName dave
        }
    }

    It 'refuses a CSR whose signature was altered with CsrSignatureInvalid' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=dave'
        $pem = Get-Content -Raw $csr
        $body = ($pem -replace '-----(BEGIN|END) CERTIFICATE REQUEST-----', '') -replace '\s', ''
        $der = [Convert]::FromBase64String($body)
        # The DER ends with the ECDSA signature (the last INTEGER, s): flip one bit of its last byte.
        $der[$der.Length - 1] = $der[$der.Length - 1] -bxor 0x01
        $b64 = [Convert]::ToBase64String($der)
        $lines = for ($i = 0; $i -lt $b64.Length; $i += 64) { $b64.Substring($i, [Math]::Min(64, $b64.Length - $i)) }
        $tampered = "-----BEGIN CERTIFICATE REQUEST-----`n" + ($lines -join "`n") + "`n-----END CERTIFICATE REQUEST-----`n"
        $tamperedFile = Join-Path $work 'tampered.csr'
        Set-Content -LiteralPath $tamperedFile -Value $tampered -NoNewline
        # openssl agrees that the request is well-formed but its signature does not verify.
        # (openssl 3.0 exits 0 either way, so read what it says.)
        (Invoke-OpenSsl req -in $csr -noout -verify).Output | Should -Match 'verify OK'
        (Invoke-OpenSsl req -in $tamperedFile -noout -verify).Output | Should -Match 'verify failure'
        (Invoke-OpenSsl req -in $tamperedFile -noout -subject).Output | Should -Match 'CN\s*=\s*dave'

        Assert-Refused -Directory $dir -ErrorId 'CsrSignatureInvalid' -Category 'SecurityError' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $tampered -UserName dave
        }
        Get-ChatCertificate -Path $dir -UserName dave | Should -BeNullOrEmpty
    }

    It 'refuses garbage text with CsrMalformed' {
        Assert-Refused -Directory $dir -ErrorId 'CsrMalformed' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest 'this is not a certificate request' -UserName dave
        }
    }

    It 'refuses a PEM block whose content is garbage with CsrMalformed' {
        $garbage = "-----BEGIN CERTIFICATE REQUEST-----`nAAAAbm90IGEgcmVxdWVzdA==`n-----END CERTIFICATE REQUEST-----`n"
        Assert-Refused -Directory $dir -ErrorId 'CsrMalformed' -Category 'InvalidData' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $garbage -UserName dave
        }
    }

    It 'refuses a certificate given instead of a CSR with CsrMalformed' {
        $caPem = Get-Content -Raw (Join-Path $dir 'ca.crt.pem')
        Assert-Refused -Directory $dir -ErrorId 'CsrMalformed' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $caPem -UserName dave
        }
    }

    It 'refuses a valid CSR for a reserved name with UserNameReserved' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=system'
        Assert-Refused -Directory $dir -ErrorId 'UserNameReserved' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName system
        }
    }

    It 'refuses a valid CSR for an invalid name with UserNameInvalid' {
        $csr = New-TestCsr -Directory $work -Subject '/CN=9lives'
        Assert-Refused -Directory $dir -ErrorId 'UserNameInvalid' -ScriptBlock {
            New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName 9lives
        }
    }
}

Describe 'Extensions requested in a CSR are never copied' {
    BeforeAll {
        $dir = New-TestCa
        $work = Join-Path $TestDrive 'ext'
        $csr = New-TestCsr -Directory $work -Subject '/CN=grace' -AddExt @(
            'basicConstraints=critical,CA:TRUE'
            'extendedKeyUsage=serverAuth,clientAuth'
            'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'
            'subjectAltName=DNS:evil.example.org'
        )
        # openssl confirms the request really asks for those extensions.
        $csrText = (Invoke-OpenSsl req -in $csr -noout -text).Output
        $issued = New-ChatCertificate -Path $dir -CertificateRequest $csr -UserName grace
        $pem = Export-TestCertificatePem $issued.Certificate (Join-Path $work 'grace.crt.pem')
        $text = (Invoke-OpenSsl x509 -in $pem -noout -text).Output
    }

    It 'the request asks for CA:TRUE and serverAuth' {
        $csrText | Should -Match 'CA:TRUE'
        $csrText | Should -Match 'TLS Web Server Authentication'
    }

    It 'the certificate is not a CA' {
        $text | Should -Match 'X509v3 Basic Constraints: critical\s*\r?\n\s*CA:FALSE'
        $text | Should -Not -Match 'CA:TRUE'
        (Invoke-OpenSsl verify -CAfile (Join-Path $dir 'ca.crt.pem') $pem).Output | Should -Match ': OK'
    }

    It 'the certificate has only clientAuth' {
        $text | Should -Match 'X509v3 Extended Key Usage:\s*\r?\n\s*TLS Web Client Authentication\s*\r?\n'
        $text | Should -Not -Match 'TLS Web Server Authentication'
    }

    It 'the certificate has digitalSignature only and no requested SAN' {
        $text | Should -Match 'X509v3 Key Usage: critical\s*\r?\n\s*Digital Signature\s*\r?\n'
        $text | Should -Not -Match 'Certificate Sign'
        $text | Should -Not -Match 'evil\.example\.org'
    }
}
