#Requires -Version 7.6
# New-ChatCertificate: users, CSRs and the server certificate, checked with openssl.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults
    $OwnerReadWrite = [IO.UnixFileMode]'UserRead, UserWrite'
}

Describe 'Issuing from a CSV into a report' {
    It 'flows on into Export-Csv as written in the help' {
        $dir = New-TestCa
        $report = Join-Path $TestDrive 'issued.csv'
        $csv2 = Join-Path $TestDrive 'more-users.csv'
        Set-Content -LiteralPath $csv2 -Value @('UserName', 'dora', 'erin')
        Import-Csv $csv2 | New-ChatCertificate -Path $dir | Select-Object UserName, Serial, NotAfter | Export-Csv -LiteralPath $report
        $rows = @(Import-Csv -LiteralPath $report)
        $rows.UserName | Should -Be @('dora', 'erin')
        $rows | ForEach-Object { (Get-ChatCertificate -Path $dir -Serial $_.Serial).UserName | Should -Be $_.UserName }
    }
}

Describe 'Issuing users from a CSV through the pipeline' {
    BeforeAll {
        $dir = New-TestCa
        $csv = Join-Path $TestDrive 'users.csv'
        Set-Content -LiteralPath $csv -Value @('UserName,Department', 'alice,Sales', 'bob,Ops', 'carol,Dev')
        $issued = @(Import-Csv $csv | New-ChatCertificate -Path $dir)
    }

    It 'issues one certificate per row' {
        $issued | Should -HaveCount 3
        $issued.UserName | Should -Be @('alice', 'bob', 'carol')
        $issued | ForEach-Object { $_.Kind | Should -Be 'Client' }
        $issued | ForEach-Object { $_.Status | Should -Be 'Valid' }
    }

    It 'returns each certificate with its private key' {
        $issued | ForEach-Object { $_.Certificate.HasPrivateKey | Should -BeTrue }
    }

    It 'stores them: Get-ChatCertificate lists exactly those three' {
        $stored = Get-AllChatCertificates $dir
        $stored | Should -HaveCount 3
        ($stored.UserName | Sort-Object) | Should -Be @('alice', 'bob', 'carol')
        ($stored.Serial | Sort-Object) | Should -Be ($issued.Serial | Sort-Object)
        # What is listed later never carries a private key.
        $stored | ForEach-Object { $_.Certificate.HasPrivateKey | Should -BeFalse }
    }

    It 'matches thumbprints between issued and stored certificates' {
        foreach ($c in $issued) {
            (Get-ChatCertificate -Path $dir -Serial $c.Serial).Thumbprint | Should -Be $c.Certificate.Thumbprint
        }
    }
}

Describe '-WhatIf' {
    BeforeAll { $dir = New-TestCa }

    It 'issues nothing for a single user' {
        New-ChatCertificate -Path $dir -UserName alice -WhatIf | Should -BeNullOrEmpty
        Get-AllChatCertificates $dir | Should -HaveCount 0
    }

    It 'issues nothing from a pipeline' {
        'alice', 'bob' | New-ChatCertificate -Path $dir -WhatIf | Should -BeNullOrEmpty
        Get-AllChatCertificates $dir | Should -HaveCount 0
    }

    It 'issues no server certificate and installs no server files' {
        New-ChatCertificate -Path $dir -Server -DnsName chat.example.org -WhatIf | Should -BeNullOrEmpty
        Get-AllChatCertificates $dir | Should -HaveCount 0
        Join-Path $dir 'server.key.pem' | Should -Not -Exist
    }
}

Describe 'The client certificate profile, seen by openssl' {
    BeforeAll {
        $dir = New-TestCa
        $caPem = Join-Path $dir 'ca.crt.pem'
        $alice = New-ChatCertificate -Path $dir -UserName alice -ValidDays 30
        $alicePem = Export-TestCertificatePem $alice.Certificate (Join-Path $TestDrive 'alice.pem')
        $text = (Invoke-OpenSsl x509 -in $alicePem -noout -text).Output
        $caText = (Invoke-OpenSsl x509 -in $caPem -noout -text).Output
    }

    It 'verifies against the CA certificate' {
        $r = Invoke-OpenSsl verify -CAfile $caPem $alicePem
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match ': OK'
    }

    It 'verifies for the sslclient purpose and not for sslserver' {
        (Invoke-OpenSsl verify -purpose sslclient -CAfile $caPem $alicePem).ExitCode | Should -Be 0
        (Invoke-OpenSsl verify -purpose sslserver -CAfile $caPem $alicePem).ExitCode | Should -Not -Be 0
    }

    It 'has CN = alice as its only subject, issued by the CA' {
        $text | Should -Match '(?m)^\s*Subject: CN\s*=\s*alice\s*$'
        $text | Should -Match '(?m)^\s*Issuer: CN\s*=\s*Test CA\s*$'
    }

    It 'has only the clientAuth extended key usage' {
        $text | Should -Match 'X509v3 Extended Key Usage:\s*\r?\n\s*TLS Web Client Authentication\s*\r?\n'
        $text | Should -Not -Match 'TLS Web Server Authentication'
    }

    It 'has a critical key usage of Digital Signature only' {
        $text | Should -Match 'X509v3 Key Usage: critical\s*\r?\n\s*Digital Signature\s*\r?\n'
    }

    It 'is not a CA' {
        $text | Should -Match 'X509v3 Basic Constraints: critical\s*\r?\n\s*CA:FALSE'
    }

    It 'has a subject key id and an authority key id equal to the CA''s subject key id' {
        $text | Should -Match 'X509v3 Subject Key Identifier:'
        $text | Should -Match 'X509v3 Authority Key Identifier:'
        $caSki = [regex]::Match($caText, 'X509v3 Subject Key Identifier:\s*\r?\n\s*([0-9A-F:]+)').Groups[1].Value
        $caSki | Should -Not -BeNullOrEmpty
        $aki = [regex]::Match($text, 'X509v3 Authority Key Identifier:\s*\r?\n\s*(?:keyid:)?([0-9A-F:]+)').Groups[1].Value
        $aki | Should -Be $caSki
    }

    It 'has a positive serial of at least 64 bits equal to the Serial property' {
        $serial = (Invoke-OpenSsl x509 -in $alicePem -noout -serial).Output
        $serial | Should -Match '^serial=[0-9A-F]+$'
        $hex = $serial -replace '^serial=', ''
        (Format-TestSerial $hex) | Should -Be (Format-TestSerial $alice.Serial)
        (Format-TestSerial $hex).Length | Should -BeGreaterOrEqual 16
        $text | Should -Not -Match 'Serial Number:.*\(Negative\)'
    }

    It 'is valid for the requested 30 days, inside the CA''s validity' {
        $ca = Get-ChatCertificateAuthority -Path $dir
        $span = $alice.NotAfter - $alice.NotBefore
        $span.TotalDays | Should -BeGreaterOrEqual 30
        $span.TotalDays | Should -BeLessOrEqual 30.1
        $alice.NotBefore | Should -BeGreaterOrEqual $ca.NotBefore
        $alice.NotAfter | Should -BeLessOrEqual $ca.NotAfter
        $alice.Certificate.NotAfter.ToUniversalTime() | Should -Be $alice.NotAfter.UtcDateTime
        # openssl agrees the certificate is valid now and not in 31 days.
        (Invoke-OpenSsl x509 -in $alicePem -noout -checkend 0).ExitCode | Should -Be 0
        (Invoke-OpenSsl x509 -in $alicePem -noout -checkend (31 * 86400)).ExitCode | Should -Not -Be 0
    }

    It 'has a P-256 key' {
        $text | Should -Match 'NIST CURVE: P-256'
    }
}

Describe 'Validity is bounded by the CA' {
    It 'never lets a client certificate outlive a short-lived CA' {
        $dir = New-TestCa -ValidDays 10
        $ca = Get-ChatCertificateAuthority -Path $dir
        $c = New-ChatCertificate -Path $dir -UserName longlived -ValidDays 365
        $c.NotAfter | Should -BeLessOrEqual $ca.NotAfter
        $c.NotBefore | Should -BeGreaterOrEqual $ca.NotBefore
        ($c.NotAfter - [DateTimeOffset]::UtcNow).TotalDays | Should -BeLessOrEqual 10.01
    }
}

Describe 'Serial numbers' {
    It 'are unique across 20 certificates' {
        $dir = New-TestCa
        $issued = @(1..20 | ForEach-Object { "user$_" } | New-ChatCertificate -Path $dir)
        $issued | Should -HaveCount 20
        ($issued.Serial | Sort-Object -Unique) | Should -HaveCount 20
        ($issued | ForEach-Object { $_.Certificate.SerialNumber } | Sort-Object -Unique) | Should -HaveCount 20
        $issued | ForEach-Object { (Format-TestSerial $_.Serial).Length | Should -BeGreaterOrEqual 16 }
    }
}

Describe 'The server certificate' {
    BeforeAll {
        $dir = New-TestCa
        $caPem = Join-Path $dir 'ca.crt.pem'
        $server = New-ChatCertificate -Path $dir -Server -DnsName chat.example.org, chathost -IPAddress 127.0.0.1, ::1
        $serverPem = Export-TestCertificatePem $server.Certificate (Join-Path $TestDrive 'server.pem')
        $text = (Invoke-OpenSsl x509 -in $serverPem -noout -text).Output
    }

    It 'is a Server certificate named after its first DNS name' {
        $server.Kind | Should -Be 'Server'
        $server.Name | Should -Be 'chat.example.org'
        (Get-ChatCertificate -Path $dir -Kind Server).Serial | Should -Be $server.Serial
    }

    It 'verifies against the CA, for the sslserver purpose' {
        $r = Invoke-OpenSsl verify -CAfile $caPem $serverPem
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match ': OK'
        (Invoke-OpenSsl verify -purpose sslserver -CAfile $caPem $serverPem).ExitCode | Should -Be 0
    }

    It 'has the serverAuth extended key usage and is not a CA' {
        $text | Should -Match 'TLS Web Server Authentication'
        $text | Should -Match 'X509v3 Basic Constraints: critical\s*\r?\n\s*CA:FALSE'
    }

    It 'carries every DNS name and IP address as a SAN' {
        $text | Should -Match 'DNS:chat\.example\.org'
        $text | Should -Match 'DNS:chathost'
        $text | Should -Match 'IP Address:127\.0\.0\.1'
        $text | Should -Match 'IP Address:(0:0:0:0:0:0:0:1|::1)\b'
    }

    It 'matches the names with openssl -checkhost / -checkip' {
        (Invoke-OpenSsl x509 -in $serverPem -noout -checkhost chathost).Output | Should -Match 'does match'
        (Invoke-OpenSsl x509 -in $serverPem -noout -checkhost evil.example.org).Output | Should -Match 'does NOT match'
        (Invoke-OpenSsl x509 -in $serverPem -noout -checkip 127.0.0.1).Output | Should -Match 'does match'
    }

    It 'installs the server key owner-only in the data directory' {
        Join-Path $dir 'server.key.pem' | Should -Exist
        (Get-Item (Join-Path $dir 'server.key.pem')).UnixFileMode | Should -Be $OwnerReadWrite
    }

    It 'refuses an invalid DNS name with ServerNameInvalid and issues nothing more' {
        $before = (Get-AllChatCertificates $dir).Count
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -Server -DnsName 'bad name!' -Force }
        Get-ErrorId $err | Should -Be 'ServerNameInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-AllChatCertificates $dir).Count | Should -Be $before
        # The installed server certificate is still the first one.
        (Get-Content -Raw (Join-Path $dir 'server.crt.pem')).Trim() | Should -Be $server.Certificate.ExportCertificatePem().Trim()
    }

    It 'refuses to replace the installed server certificate without -Force (ServerCertificateExists)' {
        $before = (Get-AllChatCertificates $dir).Count
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -Server -DnsName other.example.org }
        Get-ErrorId $err | Should -Be 'ServerCertificateExists'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        (Get-AllChatCertificates $dir).Count | Should -Be $before
        (Get-Content -Raw (Join-Path $dir 'server.crt.pem')).Trim() | Should -Be $server.Certificate.ExportCertificatePem().Trim()
    }

    It 'replaces the installed server certificate with -Force' {
        $before = @(Get-ChatCertificate -Path $dir -Kind Server).Count
        $new = New-ChatCertificate -Path $dir -Server -DnsName other.example.org -Force
        $new.Serial | Should -Not -Be $server.Serial
        (Get-Content -Raw (Join-Path $dir 'server.crt.pem')).Trim() | Should -Be $new.Certificate.ExportCertificatePem().Trim()
        (Get-Item (Join-Path $dir 'server.key.pem')).UnixFileMode | Should -Be $OwnerReadWrite
        @(Get-ChatCertificate -Path $dir -Kind Server) | Should -HaveCount ($before + 1)
        # The replaced certificate stays valid until it is revoked.
        (Get-ChatCertificate -Path $dir -Serial $server.Serial).Status | Should -Be 'Valid'
    }
}

Describe 'Signing a CSR made by openssl' {
    BeforeAll {
        $dir = New-TestCa
        $caPem = Join-Path $dir 'ca.crt.pem'
        $work = Join-Path $TestDrive 'csr'
        $daveCsr = New-TestCsr -Directory $work -Subject '/CN=dave' -Name dave
        $erinCsr = New-TestCsr -Directory $work -Subject '/CN=erin' -Name erin
    }

    It 'signs a CSR given as a file path, keeping the requester''s key' {
        $c = New-ChatCertificate -Path $dir -CertificateRequest $daveCsr -UserName dave
        $c.UserName | Should -Be 'dave'
        $c.Certificate.HasPrivateKey | Should -BeFalse
        $pem = Export-TestCertificatePem $c.Certificate (Join-Path $work 'dave.crt.pem')
        $r = Invoke-OpenSsl verify -CAfile $caPem $pem
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match ': OK'
        # The certificate's public key is the one in the CSR.
        $csrKey = (Invoke-OpenSsl req -in $daveCsr -noout -pubkey).Output.Trim()
        $certKey = (Invoke-OpenSsl x509 -in $pem -noout -pubkey).Output.Trim()
        $certKey | Should -Be $csrKey
        # And the private key openssl generated matches the certificate.
        $keyPub = (Invoke-OpenSsl pkey -in (Join-Path $work 'dave.key.pem') -pubout).Output.Trim()
        $keyPub | Should -Be $certKey
        Get-ChatCertificate -Path $dir -UserName dave | Should -HaveCount 1
    }

    It 'signs a CSR given as PEM text' {
        $pemText = Get-Content -Raw $erinCsr
        $c = New-ChatCertificate -Path $dir -CertificateRequest $pemText -UserName erin
        $c.UserName | Should -Be 'erin'
        $pem = Export-TestCertificatePem $c.Certificate (Join-Path $work 'erin.crt.pem')
        (Invoke-OpenSsl verify -CAfile $caPem $pem).Output | Should -Match ': OK'
        (Invoke-OpenSsl x509 -in $pem -noout -text).Output | Should -Match 'TLS Web Client Authentication'
    }

    It 'signs CSRs named in a CSV (UserName,CertificateRequest columns) through the pipeline' {
        $gina = New-TestCsr -Directory $work -Subject '/CN=gina' -Name gina
        $hank = New-TestCsr -Directory $work -Subject '/CN=hank' -Name hank
        $csv = Join-Path $work 'requests.csv'
        Set-Content -LiteralPath $csv -Value @('UserName,CertificateRequest', "gina,$gina", "hank,$hank")
        $issued = @(Import-Csv $csv | New-ChatCertificate -Path $dir)
        $issued | Should -HaveCount 2
        $issued.UserName | Should -Be @('gina', 'hank')
        foreach ($pair in @(@{ Cert = $issued[0]; Csr = $gina }, @{ Cert = $issued[1]; Csr = $hank })) {
            # The requester's key is certified: no key is generated by the CA.
            $pair.Cert.Certificate.HasPrivateKey | Should -BeFalse -Because 'the CSR must be signed, not ignored'
            $pem = Export-TestCertificatePem $pair.Cert.Certificate (Join-Path $work "$($pair.Cert.UserName).csv.crt.pem")
            (Invoke-OpenSsl x509 -in $pem -noout -pubkey).Output.Trim() | Should -Be (Invoke-OpenSsl req -in $pair.Csr -noout -pubkey).Output.Trim()
        }
    }

    It 'writes a CSR-signed certificate (no private key) to -OutFile as PEM' {
        $frankCsr = New-TestCsr -Directory $work -Subject '/CN=frank' -Name frank
        $out = Join-Path $work 'frank.out.pem'
        $c = New-ChatCertificate -Path $dir -CertificateRequest $frankCsr -UserName frank -OutFile $out
        $c.OutFile | Should -Be $out
        $r = Invoke-OpenSsl verify -CAfile $caPem $out
        $r.Output | Should -Match ': OK'
    }
}

Describe 'Writing a PKCS#12 file with -OutFile' {
    BeforeAll {
        # These tests are about where keys go and which password protects them: no defaults.
        $PSDefaultParameterValues = @{}
        $dir = New-TestCa
        $pfxPassword = 'pfx-secret-123'
    }

    It 'writes a password-protected PKCS#12 with certificate and key, mode 0600' {
        $pfx = Join-Path $TestDrive 'alice.pfx'
        $c = New-ChatCertificate -Path $dir -UserName alice -OutFile $pfx -Password (ConvertTo-TestSecureString $pfxPassword)
        $c.OutFile | Should -Be $pfx
        $pfx | Should -Exist
        (Get-Item $pfx).UnixFileMode | Should -Be $OwnerReadWrite

        $certs = Invoke-OpenSsl pkcs12 -in $pfx -passin "pass:$pfxPassword" -nokeys
        $certs.ExitCode | Should -Be 0
        $certs.Output | Should -Match 'BEGIN CERTIFICATE'
        $certs.Output | Should -Match 'CN\s*=\s*alice'

        $keys = Invoke-OpenSsl pkcs12 -in $pfx -passin "pass:$pfxPassword" -nocerts -nodes
        $keys.ExitCode | Should -Be 0
        $keys.Output | Should -Match 'BEGIN PRIVATE KEY'

        (Invoke-OpenSsl pkcs12 -in $pfx -passin 'pass:wrong' -nokeys).ExitCode | Should -Not -Be 0
    }

    It 'refuses -OutFile without -Password (PasswordRequired), writes and issues nothing' {
        $pfx = Join-Path $TestDrive 'bob.pfx'
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName bob -OutFile $pfx }
        Get-ErrorId $err | Should -Be 'PasswordRequired'
        $pfx | Should -Not -Exist
        Get-ChatCertificate -Path $dir -UserName bob | Should -BeNullOrEmpty
    }

    It 'refuses to overwrite an existing file without -Force (OutputFileExists) and issues nothing' {
        $pfx = Join-Path $TestDrive 'exists.pfx'
        Set-Content -LiteralPath $pfx -Value 'keep me'
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName carol -OutFile $pfx -Password (ConvertTo-TestSecureString 'x') }
        Get-ErrorId $err | Should -Be 'OutputFileExists'
        Get-Content -Raw $pfx | Should -Match 'keep me'
        Get-ChatCertificate -Path $dir -UserName carol | Should -BeNullOrEmpty
    }
}
