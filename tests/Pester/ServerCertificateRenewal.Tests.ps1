#Requires -Version 7.6
# The server renews its own TLS certificate at start. The expired certificate is a real one: signed
# by the data directory's CA with openssl ca and dates in the past, as an admin who installed one
# long ago would have it. Then Start-ChatServer comes up serving a valid certificate that
# openssl verify and openssl s_client accept against the CA, or refuses by name when it cannot renew.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    # Replaces the data directory's server certificate with one that expired a month ago, signed
    # by its CA (its key decrypted with $CaPassword when given). Returns the expired serial.
    function Install-ExpiredServerCertificate([string] $Path, [string] $CaPassword) {
        $work = Join-Path $TestDrive ('openssl-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $null = New-Item -ItemType Directory -Path $work
        Set-Content -Path (Join-Path $work 'index.txt') -Value '' -NoNewline
        Set-Content -Path (Join-Path $work 'serial') -Value '1001'
        $config = Join-Path $work 'ca.cnf'
        Set-Content -Path $config -Value @"
[ca]
default_ca = test
[test]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = names
unique_subject = no
x509_extensions = server
[names]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"@
        $key = Join-Path $Path 'server.key.pem'
        $csr = Join-Path $work 'server.csr'
        $r = Invoke-OpenSsl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $key
        if ($r.ExitCode -ne 0) { throw "openssl genpkey failed: $($r.Output)" }
        $r = Invoke-OpenSsl req -new -key $key -subj '/CN=localhost' -out $csr
        if ($r.ExitCode -ne 0) { throw "openssl req failed: $($r.Output)" }
        $start = [DateTime]::UtcNow.AddDays(-60).ToString('yyyyMMddHHmmss') + 'Z'
        $end = [DateTime]::UtcNow.AddDays(-30).ToString('yyyyMMddHHmmss') + 'Z'
        $passin = if ($CaPassword) { @('-passin', "pass:$CaPassword") } else { @() }
        $r = Invoke-OpenSsl ca -batch -config $config -cert (Join-Path $Path 'ca.crt.pem') -keyfile (Join-Path $Path 'ca.key.pem') @passin `
            -in $csr -out (Join-Path $Path 'server.crt.pem') -startdate $start -enddate $end -notext
        if ($r.ExitCode -ne 0) { throw "openssl ca failed: $($r.Output)" }
        $r = Invoke-OpenSsl x509 -in (Join-Path $Path 'server.crt.pem') -noout -serial
        ($r.Output -replace '^serial=', '').Trim()
    }

    # A data directory with a CA and no server certificate yet (Install-ExpiredServerCertificate
    # puts one there).
    function New-OldCa([securestring] $Password) {
        $dir = New-TestDirectoryPath -Prefix 'renew'
        $params = @{ Path = $dir; Name = 'Renewal CA'; ErrorAction = 'Stop' }
        if ($Password) { $params.Password = $Password }
        $null = New-ChatCertificateAuthority @params
        $dir
    }

    # Runs openssl s_client against the server with the CA pinned; returns its output.
    function Invoke-VerifiedHandshake([int] $Port, [string] $CaFile) {
        $psi = [Diagnostics.ProcessStartInfo]::new('/usr/bin/openssl')
        foreach ($a in @('s_client', '-connect', "127.0.0.1:$Port", '-CAfile', $CaFile, '-tls1_3', '-verify_return_error', '-servername', 'localhost', '-showcerts')) {
            $psi.ArgumentList.Add($a)
        }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($psi)
        try {
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            $process.StandardInput.Close()
            if (-not $process.WaitForExit(15000)) { $process.Kill($true); throw 'openssl s_client did not finish' }
            [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result + $stderr.Result }
        }
        finally { $process.Dispose() }
    }
}

AfterAll {
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
}

Describe 'A server started on a data directory whose certificate has expired' {
    It 'renews it and serves a certificate that openssl verifies against the CA' {
        $dir = New-OldCa
        $expiredSerial = Install-ExpiredServerCertificate -Path $dir
        $caFile = Join-Path $dir 'ca.crt.pem'
        $before = Invoke-OpenSsl verify -CAfile $caFile (Join-Path $dir 'server.crt.pem')
        $before.ExitCode | Should -Not -Be 0
        $before.Output | Should -Match 'expired'

        $server = Start-ChatServer -Path $dir -Port 0 -ErrorAction Stop
        try {
            $after = Invoke-OpenSsl verify -CAfile $caFile -purpose sslserver (Join-Path $dir 'server.crt.pem')
            $after.ExitCode | Should -Be 0 -Because $after.Output
            $renewedSerial = ((Invoke-OpenSsl x509 -in (Join-Path $dir 'server.crt.pem') -noout -serial).Output -replace '^serial=', '').Trim()
            (Format-TestSerial $renewedSerial) | Should -Not -Be (Format-TestSerial $expiredSerial)
            (Invoke-OpenSsl x509 -in (Join-Path $dir 'server.crt.pem') -noout -ext subjectAltName).Output | Should -Match 'DNS:localhost'

            $handshake = Invoke-VerifiedHandshake -Port $server.Port -CaFile $caFile
            $handshake.Output | Should -Match 'Verify return code: 0 \(ok\)'

            # Recorded in the CA store like any issuance.
            $record = @(Get-ChatCertificate -Path $dir -ErrorAction Stop | Where-Object { (Format-TestSerial $_.Serial) -eq (Format-TestSerial $renewedSerial) })
            $record.Count | Should -Be 1
            "$($record[0].Kind)" | Should -Be 'Server'
            "$($record[0].Status)" | Should -Be 'Valid'
            $record[0].NotAfter | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddDays(20))
            if (-not $IsWindows) {
                (Get-Item (Join-Path $dir 'server.key.pem')).UnixFileMode | Should -Be ([IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite)
            }
        }
        finally {
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'refuses to start with ServerCertificateExpired when the CA key is encrypted and no password is given' {
        $password = ConvertTo-TestSecureString 'renewal-ca-password'
        $dir = New-OldCa -Password $password
        $expiredSerial = Install-ExpiredServerCertificate -Path $dir -CaPassword 'renewal-ca-password'

        $err = Get-ChatErrorRecord { Start-ChatServer -Path $dir -Port 0 }
        Get-ErrorId $err | Should -Be 'ServerCertificateExpired'
        "$err" | Should -Match '-CaPassword'
        $still = ((Invoke-OpenSsl x509 -in (Join-Path $dir 'server.crt.pem') -noout -serial).Output -replace '^serial=', '').Trim()
        $still | Should -Be $expiredSerial

        $server = Start-ChatServer -Path $dir -Port 0 -CAPassword $password -ErrorAction Stop
        try {
            (Invoke-OpenSsl verify -CAfile (Join-Path $dir 'ca.crt.pem') (Join-Path $dir 'server.crt.pem')).ExitCode | Should -Be 0
        }
        finally {
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
}
