#Requires -Version 7.6
# The CA's private key never appears in output objects, errors, verbose/warning/information
# output, or any file the module writes other than ca.key.pem itself.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults

    # Every form in which a leaked CA key could show up: the PEM body and its lines, the PKCS#8
    # DER as base64 and hex, and the private scalar as hex and base64.
    function Get-KeyNeedles {
        param([string] $KeyFile, [string] $Password = '')
        $pem = Get-Content -Raw -LiteralPath $KeyFile
        $body = ($pem -replace '-----[A-Z ]+-----', '') -replace '\s', ''
        $needles = [Collections.Generic.List[string]]::new()
        $needles.Add($body)
        $pemLines = @($pem -split "`r?`n" | Where-Object { $_ -and $_ -notmatch '-----' } | ForEach-Object Trim)

        $derFile = Join-Path $TestDrive ("key-" + [guid]::NewGuid().ToString('N') + '.der')
        $r = Invoke-OpenSsl pkey -in $KeyFile -passin "pass:$Password" -outform DER -out $derFile
        if ($r.ExitCode -ne 0) { throw "openssl pkey failed: $($r.Output)" }
        $der = [IO.File]::ReadAllBytes($derFile)
        Remove-Item -LiteralPath $derFile
        $needles.Add([Convert]::ToBase64String($der))
        $needles.Add([Convert]::ToHexString($der))
        $needles.Add([Convert]::ToHexString($der).ToLowerInvariant())

        $text = (Invoke-OpenSsl pkey -in $KeyFile -passin "pass:$Password" -noout -text).Output
        $m = [regex]::Match($text, 'priv:\s*((?:[0-9a-f]{2}:?\s*)+)pub:')
        if (-not $m.Success) { throw "no private scalar in openssl output" }
        $colonHex = ($m.Groups[1].Value -replace '\s', '').TrimEnd(':')
        $hex = $colonHex -replace ':', ''
        # openssl may print a leading 00 byte; the bare scalar is what matters.
        if ($hex.Length % 2 -eq 0 -and $hex.Length -gt 64 -and $hex.StartsWith('00')) { $hex = $hex.Substring(2) }
        $needles.Add($hex.ToLowerInvariant())
        $needles.Add($hex.ToUpperInvariant())
        $needles.Add(($colonHex -replace '^00:', '').ToUpperInvariant())
        $dBytes = [Convert]::FromHexString($hex)
        $needles.Add([Convert]::ToBase64String($dBytes).TrimEnd('='))

        # Single PEM lines, so that a partial leak is caught too. An encrypted key is ciphertext
        # throughout; a plain PKCS#8 key also holds the PUBLIC key (which the certificate rightly
        # shows), so only the lines that carry bits of the private scalar count.
        if ($pem -match 'ENCRYPTED') {
            $pemLines | Where-Object Length -GE 32 | ForEach-Object { $needles.Add($_) }
        }
        else {
            $fileDer = [Convert]::FromBase64String($body)
            $latin1 = [Text.Encoding]::Latin1
            $offset = $latin1.GetString($fileDer).IndexOf($latin1.GetString($dBytes), [StringComparison]::Ordinal)
            if ($offset -lt 0) { throw 'private scalar not found in the key file' }
            $firstChar = [Math]::Floor($offset / 3) * 4
            $lastChar = [Math]::Ceiling(($offset + $dBytes.Length) / 3) * 4
            $position = 0
            foreach ($line in $pemLines) {
                if ($position -lt $lastChar -and ($position + $line.Length) -gt $firstChar) { $needles.Add($line) }
                $position += $line.Length
            }
        }
        $needles.Add(([Convert]::ToBase64String($dBytes).TrimEnd('=')).Replace('+', '-').Replace('/', '_'))
        , $needles.ToArray()
    }

    # Renders anything a cmdlet emitted (objects, error/verbose/warning/information records) as
    # text, the ways a user could see or log it.
    function ConvertTo-TranscriptText {
        param($Items)
        $sb = [Text.StringBuilder]::new()
        foreach ($item in $Items) {
            if ($null -eq $item) { continue }
            if ($item -is [Management.Automation.ErrorRecord]) {
                $null = $sb.AppendLine($item.ToString())
                $null = $sb.AppendLine($item.FullyQualifiedErrorId)
                $null = $sb.AppendLine($item.CategoryInfo.ToString())
                $null = $sb.AppendLine([string]$item.ErrorDetails)
                $null = $sb.AppendLine(($item.TargetObject | Out-String -Width 4096))
                $null = $sb.AppendLine($item.Exception.ToString())
                $e = $item.Exception
                while ($e) {
                    $null = $sb.AppendLine($e.Message)
                    foreach ($k in $e.Data.Keys) { $null = $sb.AppendLine("$k=$($e.Data[$k])") }
                    $e = $e.InnerException
                }
                $null = $sb.AppendLine(($item | Format-List * -Force | Out-String -Width 4096))
            }
            elseif ($item -is [Management.Automation.InformationalRecord] -or $item -is [Management.Automation.InformationRecord]) {
                $null = $sb.AppendLine($item.ToString())
                $null = $sb.AppendLine(($item | Format-List * | Out-String -Width 4096))
            }
            else {
                $null = $sb.AppendLine($item.ToString())
                $null = $sb.AppendLine(($item | Out-String -Width 4096))
                $null = $sb.AppendLine(($item | Format-List * | Out-String -Width 4096))
                $plain = $item | Select-Object -Property * -ExcludeProperty Certificate
                $null = $sb.AppendLine(($plain | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue))
                if ($item.PSObject.Properties['Certificate'] -and $item.Certificate) {
                    $cert = $item.Certificate
                    $null = $sb.AppendLine($cert.ExportCertificatePem())
                    $null = $sb.AppendLine([Convert]::ToBase64String($cert.RawData))
                    $null = $sb.AppendLine(($cert | Select-Object Subject, Issuer, SerialNumber, Thumbprint, NotBefore, NotAfter, HasPrivateKey | ConvertTo-Json))
                    $null = $sb.AppendLine($cert.ToString($true))
                }
            }
        }
        $sb.ToString()
    }

    # Runs a script block capturing every stream and any terminating error.
    function Invoke-Captured([scriptblock] $ScriptBlock) {
        $items = & { try { & $ScriptBlock } catch { $_ } } *>&1
        ConvertTo-TranscriptText $items
    }

    function Assert-NoKey([string] $Text, [string[]] $Needles) {
        $flat = $Text -replace '\s', ''
        foreach ($needle in $Needles) {
            $Text.Contains($needle, [StringComparison]::Ordinal) | Should -BeFalse -Because "the CA key (as '$($needle.Substring(0, 8))…') must not leak"
            $flat.Contains(($needle -replace '\s', ''), [StringComparison]::Ordinal) | Should -BeFalse -Because 'the CA key must not leak, even wrapped'
        }
    }

    $caPassword = 'secrecy-pass-1'
    $plainDir = New-TestCa -Name 'Plain CA'
    $encDir = New-TestCa -Name 'Encrypted CA' -Password (ConvertTo-TestSecureString $caPassword)
    $otherDir = New-TestCa -Name 'Other CA'

    $plainNeedles = Get-KeyNeedles (Join-Path $plainDir 'ca.key.pem')
    $encNeedles = Get-KeyNeedles (Join-Path $encDir 'ca.key.pem') $caPassword
    $otherNeedles = Get-KeyNeedles (Join-Path $otherDir 'ca.key.pem')
    $allNeedles = @($plainNeedles) + @($encNeedles) + @($otherNeedles)

    # A CA whose key file belongs to another CA (CaKeyInvalid).
    $mismatchDir = New-TestDirectoryPath
    Copy-Item -Recurse -LiteralPath $plainDir -Destination $mismatchDir
    Copy-Item -LiteralPath (Join-Path $otherDir 'ca.key.pem') -Destination (Join-Path $mismatchDir 'ca.key.pem') -Force

    $work = Join-Path $TestDrive 'work'
    $null = New-Item -ItemType Directory -Path $work
    $goodCsr = New-TestCsr -Directory $work -Subject '/CN=csruser' -Name csruser
    $rsaCsr = New-TestCsr -Directory $work -Subject '/CN=rsauser' -Name rsauser -NewKey @('-newkey', 'rsa:2048')
    $encPw = ConvertTo-TestSecureString $caPassword
    $badPw = ConvertTo-TestSecureString 'definitely wrong'
    $pfxPw = ConvertTo-TestSecureString 'pfx-pw'
}

Describe 'The needles are real' {
    It 'finds the key in ca.key.pem itself (the search works)' {
        Assert-NoKey 'nothing here' $plainNeedles
        $pem = Get-Content -Raw (Join-Path $plainDir 'ca.key.pem')
        ($plainNeedles | Where-Object { $pem.Contains($_) }) | Should -Not -BeNullOrEmpty
        $plainNeedles.Count | Should -BeGreaterThan 8
    }
}

Describe 'No CA key in output, errors or verbose text' {
    It '<Name>' -ForEach @(
        @{ Name = 'Get-ChatCertificateAuthority'; Expect = 'Plain CA'; Script = { Get-ChatCertificateAuthority -Path $plainDir -Verbose } }
        @{ Name = 'New-ChatCertificate -UserName'; Expect = 'alice'; Script = { New-ChatCertificate -Path $plainDir -UserName alice -Verbose } }
        @{ Name = 'New-ChatCertificate -Server'; Expect = 'chat\.example\.org'; Script = { New-ChatCertificate -Path $plainDir -Server -DnsName chat.example.org -Verbose } }
        @{ Name = 'New-ChatCertificate -CertificateRequest'; Expect = 'csruser'; Script = { New-ChatCertificate -Path $plainDir -CertificateRequest $goodCsr -UserName csruser -Verbose } }
        @{ Name = 'New-ChatCertificate -OutFile'; Expect = 'pfxuser'; Script = { New-ChatCertificate -Path $plainDir -UserName pfxuser -OutFile (Join-Path $work 'pfxuser.pfx') -Password $pfxPw -Verbose } }
        @{ Name = 'New-ChatCertificate pipeline'; Expect = 'pipe2'; Script = { 'pipe1', 'pipe2' | New-ChatCertificate -Path $plainDir -Verbose } }
        @{ Name = 'New-ChatCertificate on the encrypted CA'; Expect = 'encuser'; Script = { New-ChatCertificate -Path $encDir -UserName encuser -CAPassword $encPw -Verbose } }
        @{ Name = 'Get-ChatCertificate'; Expect = 'alice'; Script = { Get-ChatCertificate -Path $plainDir -Verbose } }
        @{ Name = 'Revoke-ChatCertificate -PassThru'; Expect = 'Revoked'; Script = { Revoke-ChatCertificate -Path $plainDir -UserName pipe1 -PassThru -Confirm:$false -Verbose } }
        @{ Name = 'Export-ChatRevocationList'; Expect = 'ca\.crl\.pem'; Script = { Export-ChatRevocationList -Path $plainDir -Verbose } }
        @{ Name = 'Export-ChatRevocationList on the encrypted CA'; Expect = 'ca\.crl\.pem'; Script = { Export-ChatRevocationList -Path $encDir -CAPassword $encPw -Verbose } }
        @{ Name = 'New-ChatInvite'; Expect = 'ocinvite2\.'; Script = { New-ChatInvite -Path $plainDir -UserName invitee -Verbose } }
        @{ Name = 'Get-ChatInvite'; Expect = 'invitee'; Script = { Get-ChatInvite -Path $plainDir -Verbose } }
        @{ Name = 'Revoke-ChatInvite'; Expect = 'Revoked'; Script = { Get-ChatInvite -Path $plainDir -UserName invitee | Revoke-ChatInvite -Path $plainDir -PassThru -Confirm:$false -Verbose } }
        @{ Name = 'error: wrong CA password'; Expect = 'CaPasswordWrong'; Script = { New-ChatCertificate -Path $encDir -UserName wrongpw -CAPassword $badPw -Verbose } }
        @{ Name = 'error: missing CA password'; Expect = 'CaPasswordRequired'; Script = { New-ChatCertificate -Path $encDir -UserName nopw -Verbose } }
        @{ Name = 'error: wrong CA password for a CRL'; Expect = 'CaPasswordWrong'; Script = { Export-ChatRevocationList -Path $encDir -CAPassword $badPw -Verbose } }
        @{ Name = 'error: key file of another CA'; Expect = 'CaKeyInvalid'; Script = { New-ChatCertificate -Path $mismatchDir -UserName mismatch -Verbose } }
        @{ Name = 'error: invalid user name'; Expect = 'UserNameInvalid'; Script = { New-ChatCertificate -Path $plainDir -UserName 'bad name' -Verbose } }
        @{ Name = 'error: reserved user name'; Expect = 'UserNameReserved'; Script = { New-ChatCertificate -Path $plainDir -UserName root -Verbose } }
        @{ Name = 'error: taken user name'; Expect = 'UserNameTaken'; Script = { New-ChatCertificate -Path $plainDir -UserName alice -Verbose } }
        @{ Name = 'error: RSA CSR'; Expect = 'CsrKeyNotAllowed'; Script = { New-ChatCertificate -Path $plainDir -CertificateRequest $rsaCsr -UserName rsauser -Verbose } }
        @{ Name = 'error: CSR subject mismatch'; Expect = 'CsrSubjectMismatch'; Script = { New-ChatCertificate -Path $plainDir -CertificateRequest $goodCsr -UserName someoneelse -Verbose } }
        @{ Name = 'error: malformed CSR'; Expect = 'CsrMalformed'; Script = { New-ChatCertificate -Path $plainDir -CertificateRequest "-----BEGIN CERTIFICATE REQUEST-----`nAAAA`n-----END CERTIFICATE REQUEST-----" -UserName x1 -Verbose } }
        @{ Name = 'error: CA already exists'; Expect = 'CaAlreadyExists'; Script = { New-ChatCertificateAuthority -Path $plainDir -Name 'Again' -Verbose } }
        @{ Name = 'error: revoke twice'; Expect = 'CertificateAlreadyRevoked'; Script = { Revoke-ChatCertificate -Path $plainDir -UserName pipe1 -Confirm:$false -Verbose } }
        @{ Name = 'error: bad server address'; Expect = 'ServerAddressInvalid'; Script = { New-ChatInvite -Path $plainDir -UserName srvbad -Server 'no port:x' -Verbose } }
    ) {
        $text = Invoke-Captured $Script
        # The capture really holds what the command said.
        $text | Should -Match $Expect
        Assert-NoKey $text $allNeedles
    }
}

Describe 'Creating a CA' {
    It 'does not output the new key, with or without a password' {
        $dir = New-TestDirectoryPath
        $text = Invoke-Captured { New-ChatCertificateAuthority -Path $dir -Name 'Fresh CA' -Verbose }
        $text | Should -Match 'Fresh CA'
        Assert-NoKey $text (Get-KeyNeedles (Join-Path $dir 'ca.key.pem'))

        $dir2 = New-TestDirectoryPath
        $text2 = Invoke-Captured { New-ChatCertificateAuthority -Path $dir2 -Name 'Fresh Enc CA' -Password $encPw -Verbose }
        $text2 | Should -Match 'Fresh Enc CA'
        Assert-NoKey $text2 (Get-KeyNeedles (Join-Path $dir2 'ca.key.pem') $caPassword)
    }

    It 'does not output the old or new key when replacing a CA' {
        $dir = New-TestCa -Name 'Old CA'
        $old = Get-KeyNeedles (Join-Path $dir 'ca.key.pem')
        $text = Invoke-Captured { New-ChatCertificateAuthority -Path $dir -Name 'New CA' -Force -Confirm:$false -Verbose }
        $text | Should -Match 'New CA'
        Assert-NoKey $text ($old + (Get-KeyNeedles (Join-Path $dir 'ca.key.pem')))
    }
}

Describe 'CA objects carry no private key' {
    It 'New-ChatCertificateAuthority and Get-ChatCertificateAuthority return certificates without a private key' {
        $dir = New-TestDirectoryPath
        $created = New-ChatCertificateAuthority -Path $dir -Name 'Object CA'
        $created.Certificate.HasPrivateKey | Should -BeFalse
        $got = Get-ChatCertificateAuthority -Path $dir
        $got.Certificate.HasPrivateKey | Should -BeFalse
        foreach ($o in $created, $got) {
            foreach ($p in $o.PSObject.Properties) {
                $p.Value | Should -Not -BeOfType [Security.Cryptography.AsymmetricAlgorithm] -Because $p.Name
            }
        }
    }

    It 'certificates listed later carry no private key' {
        Get-ChatCertificate -Path $plainDir | ForEach-Object { $_.Certificate.HasPrivateKey | Should -BeFalse }
    }
}

Describe 'No CA key in any other file' {
    It 'appears only in ca.key.pem among the files of the data directory' {
        # Make sure every kind of file exists first.
        $null = New-ChatCertificate -Path $plainDir -UserName filecheck
        $null = Export-ChatRevocationList -Path $plainDir
        $files = Get-ChildItem -LiteralPath $plainDir -File -Recurse | Where-Object Name -NE 'ca.key.pem'
        $files.Name | Should -Contain 'openchat.db'
        foreach ($f in $files) {
            $bytes = [IO.File]::ReadAllBytes($f.FullName)
            $latin1 = [Text.Encoding]::Latin1.GetString($bytes)
            Assert-NoKey $latin1 $plainNeedles
            # The raw DER and the raw scalar.
            $der = [Convert]::FromBase64String($plainNeedles[0])
            $latin1.Contains([Text.Encoding]::Latin1.GetString($der), [StringComparison]::Ordinal) | Should -BeFalse -Because $f.Name
        }
    }
}
