#Requires -Version 7.6
# The server's TLS policy seen from foreign clients: openssl s_client and a bare .NET SslStream
# that speaks the binary protocol by hand (docs/protocol.md). Mutual TLS 1.3 only; a connection
# without a client certificate may only enroll; certificates from another CA, revoked ones,
# TLS 1.2 and plain TCP are refused.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-tls-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    # ---- protocol frames -------------------------------------------------------------------
    function ConvertTo-ProtocolString([string] $Text) {
        $bytes = [Text.Encoding]::UTF8.GetBytes($Text)
        [byte[]] (@([byte](($bytes.Length -shr 8) -band 0xFF), [byte]($bytes.Length -band 0xFF)) + $bytes)
    }

    # 4-byte big-endian length of (type + payload), the type byte, the payload.
    function New-Frame([byte] $Type, [byte[]] $Payload = @()) {
        $length = 1 + $Payload.Length
        $header = [byte[]]::new(4)
        [Buffers.Binary.BinaryPrimitives]::WriteUInt32BigEndian($header, [uint32]$length)
        [byte[]] ($header + @($Type) + $Payload)
    }

    function New-HelloFrame {
        # min and max version: the one this build speaks (u16 each), then the client name
        $version = [OpenChat.Engine.Protocol.ChatProtocol]::Version
        $v = @([byte]($version -shr 8), [byte]($version -band 0xFF))
        New-Frame 0x01 ([byte[]] ($v + $v + (ConvertTo-ProtocolString 'pester-foreign')))
    }

    function New-JoinFrame([uint32] $Tag, [string] $Room) {
        $tagBytes = [byte[]]::new(4)
        [Buffers.Binary.BinaryPrimitives]::WriteUInt32BigEndian($tagBytes, $Tag)
        New-Frame 0x11 ([byte[]] ($tagBytes + (ConvertTo-ProtocolString $Room)))
    }

    # The first string of a payload (u16 BE length + UTF-8), at an offset.
    function Read-ProtocolString([byte[]] $Payload, [int] $Offset = 0) {
        $length = ($Payload[$Offset] -shl 8) -bor $Payload[$Offset + 1]
        [Text.Encoding]::UTF8.GetString($Payload, $Offset + 2, $length)
    }

    # Reads exactly $Count bytes; returns $null at end of stream.
    function Read-Exactly($Stream, [int] $Count) {
        $buffer = [byte[]]::new($Count)
        $offset = 0
        while ($offset -lt $Count) {
            $n = $Stream.Read($buffer, $offset, $Count - $offset)
            if ($n -eq 0) { return $null }
            $offset += $n
        }
        , $buffer
    }

    # Reads frames until the server closes the stream, an error, or the deadline.
    # End: 'Eof' (clean close), 'Reset'/'Error' (connection torn down), 'Timeout' (still open).
    function Read-Frames($Stream, [int] $TimeoutMs, [int] $MaxFrames = 20) {
        $frames = [Collections.Generic.List[object]]::new()
        $end = 'Timeout'
        $errorText = ''
        $deadline = [DateTime]::UtcNow.AddMilliseconds($TimeoutMs)
        try {
            while ($frames.Count -lt $MaxFrames -and [DateTime]::UtcNow -lt $deadline) {
                $header = Read-Exactly $Stream 4
                if ($null -eq $header) { $end = 'Eof'; break }
                $length = [Buffers.Binary.BinaryPrimitives]::ReadUInt32BigEndian($header)
                if ($length -lt 1 -or $length -gt 16MB) { $end = 'BadFrame'; break }
                $body = Read-Exactly $Stream ([int]$length)
                if ($null -eq $body) { $end = 'Eof'; break }
                $payload = if ($length -gt 1) { [byte[]] $body[1..($length - 1)] } else { [byte[]]@() }
                $frames.Add([pscustomobject]@{ Type = $body[0]; Payload = $payload })
                if ($frames.Count -ge $MaxFrames) { $end = 'Open'; break }
            }
        }
        catch {
            $e = $_.Exception
            while ($e.InnerException) { $e = $e.InnerException }
            $errorText = $e.Message
            $end = if ($e -is [Net.Sockets.SocketException] -and $e.SocketErrorCode -eq 'TimedOut') { 'Timeout' }
                   elseif ($e -is [Net.Sockets.SocketException] -and $e.SocketErrorCode -eq 'WouldBlock') { 'Timeout' }
                   elseif ($e -is [Net.Sockets.SocketException]) { 'Reset' }
                   else { 'Error' }
        }
        [pscustomobject]@{ Frames = $frames; End = $end; Error = $errorText }
    }

    # Loads a PEM certificate and key as an X509Certificate2 usable for client authentication.
    function Get-TestClientCertificate([string] $CertificatePath, [string] $KeyPath) {
        $pem = [Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($CertificatePath, $KeyPath)
        try {
            [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($pem.Export('Pkcs12'), $null)
        }
        finally { $pem.Dispose() }
    }

    # A foreign TLS client: handshake (accepting any server certificate), send raw frames,
    # read what comes back until the server closes or the timeout passes.
    function Invoke-RawTlsExchange {
        param(
            [Parameter(Mandatory)] [int] $Port,
            $Certificate,
            [byte[][]] $Frames = @(),
            [Security.Authentication.SslProtocols] $Protocols = 'Tls13',
            [int] $TimeoutMs = 8000,
            [int] $MaxFrames = 20
        )
        $tcp = [Net.Sockets.TcpClient]::new()
        $result = [pscustomobject]@{
            Handshake = $false; HandshakeError = ''; Protocol = $null
            Frames = @(); End = ''; Error = ''
        }
        try {
            $tcp.Connect('127.0.0.1', $Port)
            $tcp.ReceiveTimeout = $TimeoutMs
            $tcp.SendTimeout = $TimeoutMs
            $accept = [Net.Security.RemoteCertificateValidationCallback] { param($s, $c, $ch, $e) $true }
            $ssl = [Net.Security.SslStream]::new($tcp.GetStream(), $false, $accept)
            try {
                $options = [Net.Security.SslClientAuthenticationOptions]::new()
                $options.TargetHost = 'localhost'
                $options.EnabledSslProtocols = $Protocols
                $options.CertificateRevocationCheckMode = 'NoCheck'
                $options.RemoteCertificateValidationCallback = $accept
                if ($Certificate) {
                    $collection = [Security.Cryptography.X509Certificates.X509CertificateCollection]::new()
                    $null = $collection.Add($Certificate)
                    $options.ClientCertificates = $collection
                    $chosen = $Certificate
                    $options.LocalCertificateSelectionCallback = [Net.Security.LocalCertificateSelectionCallback] { param($a, $b, $c, $d, $e) $chosen }.GetNewClosure()
                }
                try {
                    $ssl.AuthenticateAsClient($options)
                    $result.Handshake = $true
                    $result.Protocol = $ssl.SslProtocol
                }
                catch {
                    $result.HandshakeError = $_.Exception.ToString()
                    $result.End = 'HandshakeFailed'
                    return $result
                }
                try {
                    foreach ($f in $Frames) { $ssl.Write($f, 0, $f.Length) }
                    $ssl.Flush()
                }
                catch {
                    # The server may already have torn the connection down; reading tells.
                }
                $read = Read-Frames $ssl $TimeoutMs $MaxFrames
                $result.Frames = @($read.Frames)
                $result.End = $read.End
                $result.Error = $read.Error
            }
            finally { $ssl.Dispose() }
        }
        finally { $tcp.Dispose() }
        $result
    }

    # Runs openssl s_client with bytes on stdin; reads stdout until it matches -Until, the
    # process exits, or the timeout passes (then kills it). Returns what it said and how it ended.
    function Invoke-SClient {
        param(
            [Parameter(Mandatory)] [string[]] $Arguments,
            [byte[]] $InputBytes = @(),
            [double] $TimeoutSeconds = 10,
            [string] $Until
        )
        $psi = [Diagnostics.ProcessStartInfo]::new('/usr/bin/openssl')
        $psi.ArgumentList.Add('s_client')
        foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($psi)
        try {
            $stderrTask = $process.StandardError.ReadToEndAsync()
            if ($InputBytes.Length -gt 0) {
                $process.StandardInput.BaseStream.Write($InputBytes, 0, $InputBytes.Length)
                $process.StandardInput.BaseStream.Flush()
            }
            $process.StandardInput.Close()

            $out = [IO.MemoryStream]::new()
            $buffer = [byte[]]::new(8192)
            $stdout = $process.StandardOutput.BaseStream
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
            $matched = $false
            $timedOut = $false
            $pending = $stdout.ReadAsync($buffer, 0, $buffer.Length)
            while ($true) {
                $remaining = ($deadline - [DateTime]::UtcNow).TotalMilliseconds
                if ($remaining -le 0) { $timedOut = $true; break }
                if ($pending.Wait([int][Math]::Min($remaining, 200))) {
                    $n = $pending.Result
                    if ($n -eq 0) { break }
                    $out.Write($buffer, 0, $n)
                    if ($Until -and ([Text.Encoding]::Latin1.GetString($out.ToArray()) -match $Until)) { $matched = $true; break }
                    $pending = $stdout.ReadAsync($buffer, 0, $buffer.Length)
                }
            }
            $killed = $false
            # Once stdout has ended the process is exiting; if we stopped reading early (a match
            # or the deadline) it may be waiting on the server, so it is killed at once.
            $grace = if ($matched -or $timedOut) { 0 } else { 3000 }
            if (-not $process.WaitForExit($grace)) {
                $process.Kill($true)
                $killed = $true
                $null = $process.WaitForExit(5000)
            }
            $stderr = if ($stderrTask.Wait(5000)) { $stderrTask.Result } else { '' }
            $stdoutText = [Text.Encoding]::Latin1.GetString($out.ToArray())
            [pscustomobject]@{
                ExitCode = if ($killed) { $null } else { $process.ExitCode }
                Killed   = $killed
                TimedOut = $timedOut
                Matched  = $matched
                Stdout   = $stdoutText
                Stderr   = $stderr
                Output   = $stdoutText + "`n" + $stderr
            }
        }
        finally { $process.Dispose() }
    }

    # Plain TCP: send bytes, read until the server closes or the timeout passes.
    function Invoke-PlainTcpExchange([int] $Port, [byte[]] $Bytes, [int] $TimeoutMs = 10000) {
        $tcp = [Net.Sockets.TcpClient]::new()
        try {
            $tcp.Connect('127.0.0.1', $Port)
            $tcp.ReceiveTimeout = $TimeoutMs
            $stream = $tcp.GetStream()
            $stream.Write($Bytes, 0, $Bytes.Length)
            $received = [Collections.Generic.List[byte]]::new()
            $buffer = [byte[]]::new(4096)
            $end = 'Timeout'
            $deadline = [DateTime]::UtcNow.AddMilliseconds($TimeoutMs)
            try {
                while ([DateTime]::UtcNow -lt $deadline) {
                    $n = $stream.Read($buffer, 0, $buffer.Length)
                    if ($n -eq 0) { $end = 'Eof'; break }
                    $received.AddRange([byte[]] $buffer[0..($n - 1)])
                }
            }
            catch {
                $e = $_.Exception
                while ($e.InnerException) { $e = $e.InnerException }
                $end = if ($e -is [Net.Sockets.SocketException] -and $e.SocketErrorCode -in 'TimedOut', 'WouldBlock') { 'Timeout' } else { 'Reset' }
            }
            [pscustomobject]@{ End = $end; Received = $received.ToArray() }
        }
        finally { $tcp.Dispose() }
    }

    function Get-ByeCode($Exchange) {
        $bye = @($Exchange.Frames | Where-Object Type -eq 0xB1) | Select-Object -First 1
        if ($bye) { Read-ProtocolString $bye.Payload 0 }
    }

    # ---- the server and identities ---------------------------------------------------------
    $data = Join-Path $script:Root 'data'
    $server = Start-ChatServer -Path $data -Port 0 -ErrorAction Stop
    $port = $server.Port
    $connect = "127.0.0.1:$port"
    $caFile = Join-Path $data 'ca.crt.pem'
    $profiles = Join-Path $script:Root 'profiles'

    $aliceInvite = New-ChatInvite -Path $data -UserName alice -Server $connect -ErrorAction Stop
    $alice = Register-ChatUser -Invite $aliceInvite.Invite -ProfilePath $profiles -ErrorAction Stop
    $aliceCrt = Join-Path $alice.Path 'identity.crt.pem'
    $aliceKey = Join-Path $alice.Path 'identity.key.pem'
    $aliceCert = Get-TestClientCertificate $aliceCrt $aliceKey

    # A second CA that issues a perfectly well-formed client certificate for "alice".
    $otherCa = Join-Path $script:Root 'other-ca'
    $null = New-ChatCertificateAuthority -Path $otherCa -Name 'Other CA' -ErrorAction Stop
    $otherCaFile = Join-Path $otherCa 'ca.crt.pem'
    $work = Join-Path $script:Root 'work'
    $csr = New-TestCsr -Directory $work -Subject '/CN=alice' -Name 'foreign-alice'
    $foreignIssued = New-ChatCertificate -Path $otherCa -CertificateRequest $csr -UserName alice -ErrorAction Stop
    $foreignCrt = Export-TestCertificatePem $foreignIssued.Certificate (Join-Path $work 'foreign-alice.crt.pem')
    $foreignKey = Join-Path $work 'foreign-alice.key.pem'
    $foreignCert = Get-TestClientCertificate $foreignCrt $foreignKey

    $hello = New-HelloFrame
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    foreach ($c in $aliceCert, $foreignCert) { if ($c) { $c.Dispose() } }
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'The server certificate seen by openssl' {
    It 'is the chain openssl verifies against the data directory''s ca.crt.pem (-showcerts)' {
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-showcerts', '-tls1_3',
            '-verify_return_error', '-servername', 'localhost')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Verify return code: 0 \(ok\)'
        $r.Output | Should -Match 'TLSv1\.3'
        # The leaf the server presents verifies against the CA on its own.
        $blocks = [regex]::Matches($r.Stdout, '-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----')
        $blocks.Count | Should -BeGreaterOrEqual 1
        $leaf = Join-Path $work 'served-leaf.pem'
        Set-Content -LiteralPath $leaf -Value $blocks[0].Value
        $v = Invoke-OpenSsl verify -CAfile $caFile $leaf
        $v.ExitCode | Should -Be 0
        $v.Output | Should -Match ': OK'
        (Invoke-OpenSsl x509 -in $leaf -noout -fingerprint -sha256).Output |
            Should -Be (Invoke-OpenSsl x509 -in (Join-Path $data 'server.crt.pem') -noout -fingerprint -sha256).Output
        # And it does not verify against another CA.
        $v2 = Invoke-OpenSsl verify -CAfile $otherCaFile $leaf
        $v2.ExitCode | Should -Not -Be 0
    }

    It 'verifies for the name localhost and the address 127.0.0.1' {
        $byName = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-tls1_3', '-verify_return_error',
            '-servername', 'localhost', '-verify_hostname', 'localhost')
        $byName.ExitCode | Should -Be 0 -Because $byName.Output
        $byName.Output | Should -Match 'Verify return code: 0 \(ok\)'
        $byAddress = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-tls1_3', '-verify_return_error',
            '-verify_ip', '127.0.0.1')
        $byAddress.ExitCode | Should -Be 0 -Because $byAddress.Output
        $byAddress.Output | Should -Match 'Verify return code: 0 \(ok\)'
    }

    It 'does not verify for another name or against another CA (the checks above can fail)' {
        $wrongName = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-tls1_3', '-verify_return_error',
            '-servername', 'localhost', '-verify_hostname', 'chat.not-this-server.example')
        $wrongName.ExitCode | Should -Not -Be 0
        $wrongName.Output | Should -Not -Match 'Verify return code: 0 \(ok\)'
        $wrongCa = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $otherCaFile, '-tls1_3', '-verify_return_error',
            '-servername', 'localhost')
        $wrongCa.ExitCode | Should -Not -Be 0
        $wrongCa.Output | Should -Not -Match 'Verify return code: 0 \(ok\)'
    }
}

Describe 'A client with a valid certificate' {
    It 'completes a TLS 1.3 handshake with openssl s_client -cert/-key' {
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-cert', $aliceCrt, '-key', $aliceKey,
            '-tls1_3', '-verify_return_error', '-servername', 'localhost')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Verify return code: 0 \(ok\)'
        $r.Output | Should -Match 'TLSv1\.3'
    }

    It 'is welcomed as alice after Hello (openssl, application data)' {
        # -quiet prints only application data on stdout: the server's Welcome frame carries
        # "OpenChat", the user name and the CA certificate in PEM.
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-cert', $aliceCrt, '-key', $aliceKey,
            '-tls1_3', '-servername', 'localhost', '-quiet') -InputBytes $hello -Until 'END CERTIFICATE' -TimeoutSeconds 10
        $r.Matched | Should -BeTrue -Because "a Welcome frame is expected; got: $($r.Output)"
        $r.Stdout | Should -Match 'alice'
        [int][char]$r.Stdout[4] | Should -Be 0x81
    }

    It 'is welcomed as alice after Hello (SslStream, parsed frames)' {
        $x = Invoke-RawTlsExchange -Port $port -Certificate $aliceCert -Frames @(, $hello) -TimeoutMs 1500
        $x.Handshake | Should -BeTrue -Because $x.HandshakeError
        "$($x.Protocol)" | Should -Be 'Tls13'
        $x.Frames.Count | Should -BeGreaterOrEqual 1
        $x.Frames[0].Type | Should -Be 0x81
        # Welcome: u16 version, string server, string user name, ...
        $serverName = Read-ProtocolString $x.Frames[0].Payload 2
        $offset = 2 + 2 + [Text.Encoding]::UTF8.GetByteCount($serverName)
        Read-ProtocolString $x.Frames[0].Payload $offset | Should -Be 'alice'
        $x.End | Should -Be 'Timeout' -Because 'an accepted connection stays open'
    }
}

Describe 'A client without a certificate' {
    It 'completes the handshake with openssl (enrollment is allowed)' {
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-tls1_3', '-verify_return_error',
            '-servername', 'localhost')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Verify return code: 0 \(ok\)'
        $r.Output | Should -Match 'TLSv1\.3'
    }

    It 'is closed with Bye NotEnrolled when it asks to join a room (SslStream)' {
        $x = Invoke-RawTlsExchange -Port $port -Frames @($hello, (New-JoinFrame 7 'ops')) -TimeoutMs 8000
        $x.Handshake | Should -BeTrue -Because $x.HandshakeError
        $types = @($x.Frames | ForEach-Object Type)
        $types | Should -Not -Contain 0x91 -Because 'no Joined frame may reach an unenrolled connection'
        $types | Should -Contain 0xB1
        Get-ByeCode $x | Should -Be 'NotEnrolled'
        $x.End | Should -BeIn @('Eof', 'Reset', 'Error') -Because "the server must close the connection (ended: $($x.End) $($x.Error))"
    }

    It 'is closed with NotEnrolled when openssl sends Hello and Join' {
        $bytes = [byte[]] ($hello + (New-JoinFrame 1 'ops'))
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-tls1_3', '-servername', 'localhost', '-quiet') `
            -InputBytes $bytes -TimeoutSeconds 10
        $r.TimedOut | Should -BeFalse -Because 'the server closes the connection'
        $r.Killed | Should -BeFalse
        $r.Stdout | Should -Match 'NotEnrolled'
        # No Joined frame (type 0x91 with the request's tag 1); a lone 0x91 byte proves nothing,
        # since Welcome carries a random enrollment nonce.
        $r.Stdout.Contains([string][char]0x91 + [string][char]0 + [string][char]0 + [string][char]0 + [string][char]1) | Should -BeFalse
    }

    It 'cannot list rooms either' {
        # ListRooms = 0x10, payload u32 tag.
        $x = Invoke-RawTlsExchange -Port $port -Frames @($hello, (New-Frame 0x10 ([byte[]](0, 0, 0, 3)))) -TimeoutMs 8000
        $x.Handshake | Should -BeTrue
        @($x.Frames | ForEach-Object Type) | Should -Not -Contain 0x90
        Get-ByeCode $x | Should -Be 'NotEnrolled'
        $x.End | Should -Not -Be 'Timeout'
    }
}

Describe 'A certificate from another CA' {
    It 'is a well-formed client certificate for alice that only the other CA vouches for' {
        (Invoke-OpenSsl verify -CAfile $otherCaFile $foreignCrt).Output | Should -Match ': OK'
        (Invoke-OpenSsl verify -CAfile $caFile $foreignCrt).ExitCode | Should -Not -Be 0
        (Invoke-OpenSsl x509 -in $foreignCrt -noout -subject).Output | Should -Match 'CN\s*=\s*alice'
    }

    It 'is refused: a SslStream client gets no Welcome, the connection is closed' {
        $x = Invoke-RawTlsExchange -Port $port -Certificate $foreignCert -Frames @(, $hello) -TimeoutMs 8000
        if ($x.Handshake) {
            # TLS 1.3: the client's side of the handshake may finish before the server judges the certificate.
            @($x.Frames | ForEach-Object Type) | Should -Not -Contain 0x81 -Because 'the server must not welcome it'
            $x.End | Should -Not -Be 'Timeout' -Because 'the server must close the connection'
        }
        else {
            $x.HandshakeError | Should -Not -BeNullOrEmpty
        }
        $server.State | Should -Be 'Running'
    }

    It 'is refused: openssl s_client sees the connection closed, no application data' {
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-cert', $foreignCrt, '-key', $foreignKey,
            '-tls1_3', '-servername', 'localhost', '-quiet') -InputBytes $hello -Until 'END CERTIFICATE' -TimeoutSeconds 10
        $r.Matched | Should -BeFalse -Because 'no Welcome may arrive'
        $r.TimedOut | Should -BeFalse -Because 'the server closes the connection'
        $r.Killed | Should -BeFalse
        $r.ExitCode | Should -Not -Be 0
        $r.Stdout | Should -Not -Match 'OpenChat'
        $r.Stderr | Should -Match 'alert|unexpected eof|certificate|error'
    }
}

Describe 'A revoked certificate' {
    BeforeAll {
        $bobInvite = New-ChatInvite -Path $data -UserName bob -Server $connect -ErrorAction Stop
        $bob = Register-ChatUser -Invite $bobInvite.Invite -ProfilePath $profiles -ErrorAction Stop
        $bobCrt = Join-Path $bob.Path 'identity.crt.pem'
        $bobKey = Join-Path $bob.Path 'identity.key.pem'
        $bobCert = Get-TestClientCertificate $bobCrt $bobKey
        # Before revocation the same client is welcomed (so what follows is the revocation's doing).
        $before = Invoke-RawTlsExchange -Port $port -Certificate $bobCert -Frames @(, $hello) -TimeoutMs 5000 -MaxFrames 1
        $null = Revoke-ChatCertificate -Path $data -UserName bob -Reason KeyCompromise -Confirm:$false -ErrorAction Stop
    }

    AfterAll { if ($bobCert) { $bobCert.Dispose() } }

    It 'was accepted before it was revoked' {
        $before.Handshake | Should -BeTrue
        @($before.Frames | ForEach-Object Type) | Should -Contain 0x81
        (Get-ChatCertificate -Path $data -UserName bob).Status | Should -Be 'Revoked'
    }

    It 'is refused: a SslStream client gets no Welcome, the connection is closed' {
        $x = Invoke-RawTlsExchange -Port $port -Certificate $bobCert -Frames @(, $hello) -TimeoutMs 8000
        if ($x.Handshake) {
            @($x.Frames | ForEach-Object Type) | Should -Not -Contain 0x81 -Because 'the server must not welcome a revoked certificate'
            $x.End | Should -Not -Be 'Timeout' -Because 'the server must close the connection'
        }
        else {
            $x.HandshakeError | Should -Not -BeNullOrEmpty
        }
    }

    It 'is refused: openssl s_client sees the connection closed, no application data' {
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-cert', $bobCrt, '-key', $bobKey,
            '-tls1_3', '-servername', 'localhost', '-quiet') -InputBytes $hello -Until 'END CERTIFICATE' -TimeoutSeconds 10
        $r.Matched | Should -BeFalse -Because 'no Welcome may arrive'
        $r.TimedOut | Should -BeFalse -Because 'the server closes the connection'
        $r.Killed | Should -BeFalse
        $r.ExitCode | Should -Not -Be 0
        $r.Stdout | Should -Not -Match 'OpenChat'
    }
}

Describe 'Protocol versions and non-TLS clients' {
    It 'refuses TLS 1.2 (openssl s_client -tls1_2 fails the handshake)' {
        $r = Invoke-SClient -Arguments @('-connect', $connect, '-CAfile', $caFile, '-cert', $aliceCrt, '-key', $aliceKey,
            '-tls1_2', '-servername', 'localhost')
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match 'Cipher is \(NONE\)|alert protocol version|wrong version|no protocols available'
        $r.Output | Should -Not -Match 'Verify return code: 0 \(ok\)[\s\S]*New, TLSv1\.2'
        $r.Output | Should -Not -Match 'New, TLSv1\.2, Cipher is [A-Z]'
    }

    It 'refuses TLS 1.2 from a .NET client as well' {
        $x = Invoke-RawTlsExchange -Port $port -Certificate $aliceCert -Protocols 'Tls12' -Frames @(, $hello) -TimeoutMs 3000
        $x.Handshake | Should -BeFalse
        $x.End | Should -Be 'HandshakeFailed'
    }

    It 'closes a plain TCP connection that sends garbage' {
        $garbage = [Text.Encoding]::ASCII.GetBytes("GET / HTTP/1.1`r`nHost: localhost`r`n`r`n") + [Security.Cryptography.RandomNumberGenerator]::GetBytes(256)
        $r = Invoke-PlainTcpExchange -Port $port -Bytes $garbage -TimeoutMs 10000
        $r.End | Should -BeIn @('Eof', 'Reset') -Because 'the server must drop a non-TLS client, not keep it open'
    }

    It 'closes a plain TCP connection that speaks the protocol without TLS, answering nothing in clear' {
        $r = Invoke-PlainTcpExchange -Port $port -Bytes $hello -TimeoutMs 10000
        $r.End | Should -BeIn @('Eof', 'Reset')
        # Whatever came back is not a protocol frame (a Welcome would start with a length and 0x81).
        if ($r.Received.Length -ge 5) { $r.Received[4] | Should -Not -Be 0x81 }
        [Text.Encoding]::Latin1.GetString($r.Received) | Should -Not -Match 'OpenChat|BEGIN CERTIFICATE'
    }

    It 'keeps serving real clients after all of the above' {
        $server.State | Should -Be 'Running'
        $session = Connect-ChatRoom -Identity alice -ProfilePath $profiles -ErrorAction Stop
        $null = Join-ChatRoom -Room ops -Create -Session $session -ErrorAction Stop
        try {
            $session.State | Should -Be 'Connected'
            $session.Rooms | Should -Contain 'ops'
        }
        finally { Disconnect-ChatRoom -Session $session }
    }
}
