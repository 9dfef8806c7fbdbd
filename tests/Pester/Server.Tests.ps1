#Requires -Version 7.6
# The chat server as an admin and its users drive it: Start-/Get-/Stop-ChatServer,
# enrollment with Register-ChatUser, sessions, rooms, direct conversations, presence and
# revocation of a connected user.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    # Everything this file writes lives under one temp directory (never the real home).
    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-server-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    # Polls a condition until it is true or the deadline passes; returns whether it became true.
    function Wait-Condition {
        param([Parameter(Mandatory)] [scriptblock] $Condition, [double] $TimeoutSeconds = 10)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            if (& $Condition) { return $true }
            if ([DateTime]::UtcNow -ge $deadline) { return $false }
            Start-Sleep -Milliseconds 50
        }
    }

    # A loopback port where nothing listens (bound once by the OS, then released).
    function Get-UnusedPort {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        $port
    }

    function ConvertFrom-Base64Url([string] $Text) {
        $s = $Text.Replace('-', '+').Replace('_', '/')
        switch ($s.Length % 4) { 2 { $s += '==' } 3 { $s += '=' } }
        [Convert]::FromBase64String($s)
    }

    function ConvertTo-Base64Url([byte[]] $Bytes) {
        [Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')
    }

    # Decodes an invite, lets the caller change its fields, and encodes it again.
    function Edit-TestInvite([string] $Invite, [scriptblock] $Change) {
        $json = [Text.Encoding]::UTF8.GetString((ConvertFrom-Base64Url $Invite.Substring('ocinvite2.'.Length)))
        $payload = $json | ConvertFrom-Json
        & $Change $payload
        'ocinvite2.' + (ConvertTo-Base64Url ([Text.Encoding]::UTF8.GetBytes(($payload | ConvertTo-Json -Compress))))
    }

    # Moves an invite's stored expiry (unix milliseconds) as if time had passed.
    function Set-TestInviteExpiry([string] $Directory, [string] $Id, [DateTimeOffset] $ExpiresAt) {
        $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$(Join-Path $Directory 'openchat.db');Pooling=False")
        try {
            $connection.Open()
            $command = $connection.CreateCommand()
            $command.CommandText = 'UPDATE invites SET expires_at = $t WHERE id = $id'
            $null = $command.Parameters.AddWithValue('$t', $ExpiresAt.ToUnixTimeMilliseconds())
            $null = $command.Parameters.AddWithValue('$id', $Id)
            $command.ExecuteNonQuery() | Should -Be 1
        }
        finally {
            $connection.Dispose()
        }
    }

    # Enrolls a user on a server through an invite; returns the ChatIdentity.
    function Register-TestUser {
        param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $UserName,
            [Parameter(Mandatory)] [string] $ProfilePath, [securestring] $Password)
        $invite = New-ChatInvite -Path $Server.Path -UserName $UserName -Server "127.0.0.1:$($Server.Port)" -ErrorAction Stop
        $params = @{ Invite = $invite.Invite; ProfilePath = $ProfilePath; ErrorAction = 'Stop' }
        if ($Password) { $params.Password = $Password }
        Register-ChatUser @params
    }

    function Get-FingerprintHex([string] $Fingerprint) {
        ($Fingerprint -replace '[:\s-]', '').ToLowerInvariant()
    }
}

AfterAll {
    Get-EventSubscriber -ErrorAction SilentlyContinue | Where-Object SourceIdentifier -like 'octest.*' | Unregister-Event -ErrorAction SilentlyContinue
    Get-Event -ErrorAction SilentlyContinue | Where-Object SourceIdentifier -like 'octest.*' | Remove-Event -ErrorAction SilentlyContinue
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Start-ChatServer on a fresh directory' {
    BeforeAll {
        $data = New-TempPath 'data'
        $started = [DateTime]::UtcNow
        $server = Start-ChatServer -Path $data -Port 0 -ErrorAction Stop
        $elapsed = [DateTime]::UtcNow - $started
    }

    It 'returns at once a running server on a free loopback port' {
        $server | Should -Not -BeNullOrEmpty
        $server.State | Should -Be 'Running'
        $server.Port | Should -BeGreaterThan 0
        $server.Port | Should -BeLessOrEqual 65535
        $server.Address | Should -Be '127.0.0.1'
        $server.Endpoint | Should -Be "127.0.0.1:$($server.Port)"
        $server.Connections | Should -Be 0
        $server.Rooms | Should -Be 0
        $server.MessagesStored | Should -Be 0
        $elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'without -Wait the cmdlet returns while the server serves in the background'
        # Something really listens there.
        $client = [Net.Sockets.TcpClient]::new()
        try {
            $client.Connect('127.0.0.1', $server.Port)
            $client.Connected | Should -BeTrue
        }
        finally { $client.Dispose() }
    }

    It 'creates a CA and a server certificate issued by it, and reports the CA fingerprint' {
        Join-Path $data 'ca.crt.pem' | Should -Exist
        Join-Path $data 'ca.key.pem' | Should -Exist
        Join-Path $data 'server.crt.pem' | Should -Exist
        Join-Path $data 'server.key.pem' | Should -Exist
        (Get-Item (Join-Path $data 'ca.key.pem')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        (Get-Item (Join-Path $data 'server.key.pem')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        $ca = Get-ChatCertificateAuthority -Path $data -ErrorAction Stop
        Get-FingerprintHex $server.CaFingerprint | Should -Be (Get-FingerprintHex $ca.Fingerprint)
        Get-FingerprintHex $server.CaFingerprint | Should -Match '^[0-9a-f]{64}$'
        $verify = Invoke-OpenSsl verify -CAfile (Join-Path $data 'ca.crt.pem') (Join-Path $data 'server.crt.pem')
        $verify.ExitCode | Should -Be 0
        $verify.Output | Should -Match ': OK'
        $text = (Invoke-OpenSsl x509 -in (Join-Path $data 'server.crt.pem') -noout -text).Output
        $text | Should -Match 'DNS:localhost'
        $text | Should -Match 'IP Address:127\.0\.0\.1'
        $text | Should -Match 'TLS Web Server Authentication'
        @(Get-ChatCertificate -Path $data | Where-Object Kind -eq 'Server') | Should -HaveCount 1
    }

    It 'is listed by Get-ChatServer, with and without -Path' {
        $listed = @(Get-ChatServer)
        $listed.Port | Should -Contain $server.Port
        $byPath = @(Get-ChatServer -Path $data)
        $byPath | Should -HaveCount 1
        $byPath[0].Port | Should -Be $server.Port
        $byPath[0].State | Should -Be 'Running'
        @(Get-ChatServer -Path (New-TempPath 'nothing-here')) | Should -HaveCount 0
    }

    It 'fails with AddressInUse when a second server is started on the same port' {
        $err = Get-ChatErrorRecord { Start-ChatServer -Path (New-TempPath 'data2') -Port $server.Port }
        Get-ErrorId $err | Should -Be 'AddressInUse'
        # The first server is not disturbed and the failed one is not registered.
        $server.State | Should -Be 'Running'
        @(Get-ChatServer | Where-Object Port -eq $server.Port) | Should -HaveCount 1
    }

    AfterAll {
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }
}

Describe 'Enrollment with Register-ChatUser' {
    BeforeAll {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -ErrorAction Stop
        $address = "127.0.0.1:$($server.Port)"
        $profiles = New-TempPath 'profiles'
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    Context 'a valid invite' {
        BeforeAll {
            $invite = New-ChatInvite -Path $data -UserName alice -Server $address -ErrorAction Stop
            $identity = Register-ChatUser -Invite $invite.Invite -ProfilePath $profiles -ErrorAction Stop
        }

        It 'creates an identity for the invited user on that server' {
            $identity.UserName | Should -Be 'alice'
            $identity.Server | Should -Be $address
            $identity.KeyEncrypted | Should -BeFalse
            $identity.Path | Should -BeLike "$profiles*"
            (Get-ChatIdentity -ProfilePath $profiles -Name alice).Name | Should -Be $identity.Name
        }

        It 'stores the key owner-only (0600) and the certificate in -ProfilePath, not in the default root' {
            $key = Join-Path $identity.Path 'identity.key.pem'
            $key | Should -Exist
            (Get-Item $key).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
            Get-Content -Raw $key | Should -Match '-----BEGIN PRIVATE KEY-----'
            (Get-Item $identity.Path).UnixFileMode -band [IO.UnixFileMode]'GroupRead, GroupWrite, GroupExecute, OtherRead, OtherWrite, OtherExecute' |
                Should -Be ([IO.UnixFileMode]::None)
            Join-Path $identity.Path 'identity.crt.pem' | Should -Exist
            # The certificate verifies against the server's CA and is the one the CA recorded.
            $verify = Invoke-OpenSsl verify -CAfile (Join-Path $data 'ca.crt.pem') (Join-Path $identity.Path 'identity.crt.pem')
            $verify.Output | Should -Match ': OK'
            $issued = @(Get-ChatCertificate -Path $data -UserName alice)
            $issued | Should -HaveCount 1
            Format-TestSerial $issued[0].Serial | Should -Be (Format-TestSerial $identity.Serial)
            # The private key in the profile belongs to the certificate.
            $certKey = (Invoke-OpenSsl x509 -in (Join-Path $identity.Path 'identity.crt.pem') -noout -pubkey).Output.Trim()
            $keyPub = (Invoke-OpenSsl pkey -in $key -pubout).Output.Trim()
            $keyPub | Should -Be $certKey
            # Nothing went to the default root ($env:OPENCHAT_HOME, a temp dir here).
            @(Get-ChatIdentity) | Should -HaveCount 0
        }

        It 'pins the CA fingerprint of the server' {
            Get-FingerprintHex $identity.CaFingerprint | Should -Be (Get-FingerprintHex $server.CaFingerprint)
            $pinned = Join-Path $identity.Path 'ca.crt.pem'
            (Get-Content -Raw $pinned).Trim() | Should -Be (Get-Content -Raw (Join-Path $data 'ca.crt.pem')).Trim()
        }

        It 'marks the invite Redeemed' {
            (Get-ChatInvite -Path $data -Id $invite.Id).Status | Should -Be 'Redeemed'
        }

        It 'refuses the same invite a second time with InviteAlreadyRedeemed and issues nothing' {
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $invite.Invite -ProfilePath (New-TempPath 'profiles-again') }
            Get-ErrorId $err | Should -Be 'InviteAlreadyRedeemed'
            @(Get-ChatCertificate -Path $data -UserName alice) | Should -HaveCount 1
        }
    }

    Context 'a bad invite' {
        It 'fails with a tampered secret (InviteSecretWrong), creates no profile and issues nothing' {
            $inv = New-ChatInvite -Path $data -UserName tamper1 -Server $address
            $bad = Edit-TestInvite $inv.Invite { param($p) $p.k = ConvertTo-Base64Url ([Security.Cryptography.RandomNumberGenerator]::GetBytes(32)) }
            $dir = New-TempPath 'profiles-tamper'
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $bad -ProfilePath $dir }
            Get-ErrorId $err | Should -Be 'InviteSecretWrong'
            @(Get-ChatIdentity -ProfilePath $dir) | Should -HaveCount 0
            @(Get-ChatCertificate -Path $data -UserName tamper1) | Should -HaveCount 0
        }

        It 'fails when the user name in the invite was changed, and issues nothing for either name' {
            $inv = New-ChatInvite -Path $data -UserName tamper2 -Server $address
            $bad = Edit-TestInvite $inv.Invite { param($p) $p.u = 'mallory' }
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $bad -ProfilePath (New-TempPath 'profiles-tamper') }
            $err | Should -Not -BeNullOrEmpty
            Get-ErrorId $err | Should -BeIn @('InviteUserMismatch', 'InviteSecretWrong')
            @(Get-ChatCertificate -Path $data -UserName mallory) | Should -HaveCount 0
            @(Get-ChatCertificate -Path $data -UserName tamper2) | Should -HaveCount 0
        }

        It 'refuses a server that does not match the pinned CA fingerprint (ServerNotTrusted) and sends no request' {
            $inv = New-ChatInvite -Path $data -UserName tamper3 -Server $address
            $bad = Edit-TestInvite $inv.Invite { param($p) $p.f = ('ab' * 32) }
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $bad -ProfilePath (New-TempPath 'profiles-tamper') }
            Get-ErrorId $err | Should -Be 'ServerNotTrusted'
            @(Get-ChatCertificate -Path $data -UserName tamper3) | Should -HaveCount 0
            (Get-ChatInvite -Path $data -Id $inv.Id).Status | Should -Be 'Pending'
        }

        It 'refuses a server whose key is not the one the invite names (ServerKeyMismatch) and sends no request' {
            $inv = New-ChatInvite -Path $data -UserName tamper4 -Server $address
            $bad = Edit-TestInvite $inv.Invite { param($p) $p.p = ('cd' * 32) }
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $bad -ProfilePath (New-TempPath 'profiles-tamper') }
            Get-ErrorId $err | Should -Be 'ServerKeyMismatch'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $err.Exception.Message | Should -Match 'Nothing was sent'
            @(Get-ChatCertificate -Path $data -UserName tamper4) | Should -HaveCount 0
            (Get-ChatInvite -Path $data -Id $inv.Id).Status | Should -Be 'Pending'
        }

        It 'reports a truncated invite as truncated, not as something else (InviteMalformed)' {
            $inv = New-ChatInvite -Path $data -UserName cutshort -Server $address
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $inv.Invite.Substring(0, $inv.Invite.Length - 10) -ProfilePath (New-TempPath 'profiles-tamper') }
            Get-ErrorId $err | Should -Be 'InviteMalformed'
            $err.Exception.Message | Should -Match 'truncated or damaged'
            $err.Exception.Message | Should -Not -Match 'not an OpenChat invite'
            (Get-ChatInvite -Path $data -Id $inv.Id).Status | Should -Be 'Pending'
        }

        It 'refuses an invite of the old format with InviteOutdated' {
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite 'ocinvite1.eyJzIjoibG9jYWxob3N0Ojc0NDMifQ' -ProfilePath (New-TempPath 'profiles-tamper') }
            Get-ErrorId $err | Should -Be 'InviteOutdated'
            $err.Exception.Message | Should -Match 'new invite'
        }

        It 'fails with a garbled invite string (InviteMalformed)' {
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite 'ocinvite2.!!not-an-invite!!' -ProfilePath (New-TempPath 'profiles-tamper') }
            Get-ErrorId $err | Should -Be 'InviteMalformed'
        }

        It 'fails with an expired invite (InviteExpired)' {
            $inv = New-ChatInvite -Path $data -UserName lateuser -Server $address -ValidFor (New-TimeSpan -Minutes 10)
            Set-TestInviteExpiry -Directory $data -Id $inv.Id -ExpiresAt ([DateTimeOffset]::UtcNow.AddSeconds(-5))
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $inv.Invite -ProfilePath (New-TempPath 'profiles-expired') }
            Get-ErrorId $err | Should -Be 'InviteExpired'
            @(Get-ChatCertificate -Path $data -UserName lateuser) | Should -HaveCount 0
        }

        It 'fails with a revoked invite (InviteRevoked)' {
            $inv = New-ChatInvite -Path $data -UserName cancelled -Server $address
            Revoke-ChatInvite -Path $data -Id $inv.Id -Confirm:$false -ErrorAction Stop
            $err = Get-ChatErrorRecord { Register-ChatUser -Invite $inv.Invite -ProfilePath (New-TempPath 'profiles-revoked') }
            Get-ErrorId $err | Should -Be 'InviteRevoked'
            @(Get-ChatCertificate -Path $data -UserName cancelled) | Should -HaveCount 0
        }
    }

    Context 'a password-protected identity' {
        BeforeAll {
            $pwProfiles = New-TempPath 'profiles-pw'
            $password = ConvertTo-TestSecureString 'correct horse battery staple'
            $pwIdentity = Register-TestUser -Server $server -UserName dora -ProfilePath $pwProfiles -Password $password
        }

        It 'stores the private key encrypted' {
            $pwIdentity.KeyEncrypted | Should -BeTrue
            $key = Join-Path $pwIdentity.Path 'identity.key.pem'
            Get-Content -Raw $key | Should -Match 'ENCRYPTED PRIVATE KEY'
            Get-Content -Raw $key | Should -Not -Match 'BEGIN PRIVATE KEY'
            (Get-Item $key).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        }

        It 'cannot connect without the password (ProfilePasswordWrong)' {
            $err = Get-ChatErrorRecord { Connect-ChatRoom -Identity dora -ProfilePath $pwProfiles }
            Get-ErrorId $err | Should -Be 'ProfilePasswordWrong'
        }

        It 'cannot connect with a wrong password (ProfilePasswordWrong)' {
            $err = Get-ChatErrorRecord { Connect-ChatRoom -Identity dora -ProfilePath $pwProfiles -Password (ConvertTo-TestSecureString 'wrong') }
            Get-ErrorId $err | Should -Be 'ProfilePasswordWrong'
        }

        It 'connects with the right password' {
            $session = Connect-ChatRoom -Identity dora -ProfilePath $pwProfiles -Password $password -ErrorAction Stop
            try {
                $session.State | Should -Be 'Connected'
                $session.UserName | Should -Be 'dora'
            }
            finally { Disconnect-ChatRoom -Session $session }
        }
    }
}

Describe 'Sessions, rooms and presence' {
    BeforeAll {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -ErrorAction Stop
        $profiles = New-TempPath 'profiles'
        $null = Register-TestUser -Server $server -UserName alice -ProfilePath $profiles
        $null = Register-TestUser -Server $server -UserName bob -ProfilePath $profiles
        $null = Register-TestUser -Server $server -UserName carol -ProfilePath $profiles
        $alice = Connect-ChatRoom -Identity alice -ProfilePath $profiles -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $alice -ErrorAction Stop
        $bob = Connect-ChatRoom -Room ops -Identity bob -ProfilePath $profiles -ErrorAction Stop
        $carol = Connect-ChatRoom -Identity carol -ProfilePath $profiles -ErrorAction Stop
    }

    AfterAll {
        Get-EventSubscriber -ErrorAction SilentlyContinue | Where-Object SourceIdentifier -like 'octest.*' | Unregister-Event -ErrorAction SilentlyContinue
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'gives each user a connected session in the requested room' {
        foreach ($s in $alice, $bob) {
            $s.State | Should -Be 'Connected'
            $s.Rooms | Should -Contain 'ops'
            $s.Server | Should -Be "127.0.0.1:$($server.Port)"
        }
        $alice.UserName | Should -Be 'alice'
        $bob.UserName | Should -Be 'bob'
        $carol.Rooms | Should -Not -Contain 'ops'
        $server.Connections | Should -Be 3
        $server.Rooms | Should -BeGreaterOrEqual 1
    }

    It 'lists ops with Get-ChatRoom, with both members' {
        $rooms = @(Get-ChatRoom -Session $alice)
        $rooms.Name | Should -Contain 'ops'
        $ops = $rooms | Where-Object Name -eq 'ops'
        $ops.Kind | Should -Be 'Room'
        $ops.IsMember | Should -BeTrue
        $ops.Members | Should -Be 2
        # Carol sees the room but is not in it.
        $seenByCarol = Get-ChatRoom -Session $carol -Name ops
        $seenByCarol | Should -Not -BeNullOrEmpty
        $seenByCarol.IsMember | Should -BeFalse
        @(Get-ChatRoom -Session $carol -Joined) | Where-Object Name -eq 'ops' | Should -BeNullOrEmpty
    }

    It 'shows both members Online with Get-ChatRoomMember' {
        $members = @(Get-ChatRoomMember ops -Session $bob)
        $members | Should -HaveCount 2
        ($members.UserName | Sort-Object) -join ',' | Should -Be 'alice,bob'
        foreach ($m in $members) {
            $m.Online | Should -BeTrue
            $m.AwaySince | Should -BeNullOrEmpty
            $m.Room | Should -Be 'ops'
        }
    }

    It 'opens a direct conversation @alice+bob with Join-ChatRoom -User' {
        $dm = Join-ChatRoom -User bob -Session $alice -ErrorAction Stop
        $dm.Name | Should -Be '@alice+bob'
        $dm.Kind | Should -Be 'Direct'
        $members = @(Get-ChatRoomMember '@alice+bob' -Session $alice)
        ($members.UserName | Sort-Object) -join ',' | Should -Be 'alice,bob'
        # Bob is in it without doing anything.
        (Get-ChatRoom -Session $bob -Name '@alice+bob').IsMember | Should -BeTrue
    }

    It 'does not let a third user into a direct conversation (NotAMember)' {
        $err = Get-ChatErrorRecord { Join-ChatRoom -Room '@alice+bob' -Session $carol }
        Get-ErrorId $err | Should -Be 'NotAMember'
        $err2 = Get-ChatErrorRecord { Get-ChatRoomMember '@alice+bob' -Session $carol }
        $err2 | Should -Not -BeNullOrEmpty
        $members = @(Get-ChatRoomMember '@alice+bob' -Session $alice)
        $members.UserName | Should -Not -Contain 'carol'
        $carol.Rooms | Should -Not -Contain '@alice+bob'
    }

    # 'Ops' used to be the invalid name here; capitals are now folded (Rooms.Tests.ps1), '#ops' is still refused.
    It 'refuses an invalid room name (RoomNameInvalid) and creates nothing' {
        $err = Get-ChatErrorRecord { Join-ChatRoom -Room '#ops' -Create -Session $carol }
        Get-ErrorId $err | Should -Be 'RoomNameInvalid'
        @((Get-ChatRoom -Session $carol).Name) -ccontains '#ops' | Should -BeFalse
    }

    It 'removes the membership with Exit-ChatRoom' {
        $joined = New-ChatRoom -Name lounge -Session $carol -ErrorAction Stop
        $joined.Name | Should -Be 'lounge'
        $null = Join-ChatRoom -Room lounge -Session $alice -ErrorAction Stop
        (@(Get-ChatRoomMember lounge -Session $alice).UserName | Sort-Object) -join ',' | Should -Be 'alice,carol'
        Exit-ChatRoom -Room lounge -Session $carol -Confirm:$false -ErrorAction Stop
        @(Get-ChatRoomMember lounge -Session $alice).UserName | Should -Not -Contain 'carol'
        $carol.Rooms | Should -Not -Contain 'lounge'
        (Get-ChatRoom -Session $carol -Name lounge).IsMember | Should -BeFalse
    }

    It 'shows a disconnected user offline with AwaySince, and the server raises ConnectionClosed' {
        $null = Join-ChatRoom -Room ops -Session $carol -ErrorAction Stop
        (@(Get-ChatRoomMember ops -Session $alice) | Where-Object UserName -eq carol).Online | Should -BeTrue
        $null = Register-ObjectEvent -InputObject $server -EventName ConnectionClosed -SourceIdentifier 'octest.closed'
        try {
            $before = [DateTimeOffset]::UtcNow.AddSeconds(-1)
            Disconnect-ChatRoom -Session $carol
            $carol.State | Should -Be 'Closed'

            # The server reports carol's connection closing.
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            $closedFor = $null
            while (-not $closedFor -and [DateTime]::UtcNow -lt $deadline) {
                $evt = Wait-Event -SourceIdentifier 'octest.closed' -Timeout 1
                if ($evt) {
                    if ($evt.SourceEventArgs.UserName -eq 'carol') { $closedFor = $evt.SourceEventArgs }
                    Remove-Event -EventIdentifier $evt.EventIdentifier
                }
            }
            $closedFor | Should -Not -BeNullOrEmpty -Because 'the server raises ConnectionClosed when carol disconnects'

            # Alice sees carol go offline.
            $holder = @{}
            $ok = Wait-Condition -TimeoutSeconds 10 {
                $holder.Seen = @(Get-ChatRoomMember ops -Session $alice) | Where-Object UserName -eq carol
                $holder.Seen -and -not $holder.Seen.Online
            }
            $ok | Should -BeTrue -Because 'carol disconnected and should be shown offline'
            $seen = $holder.Seen
            $seen.AwaySince | Should -Not -BeNullOrEmpty
            $seen.AwaySince | Should -BeGreaterOrEqual $before
            $seen.AwaySince | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow.AddSeconds(1))
            # Bob is still online.
            (@(Get-ChatRoomMember ops -Session $alice) | Where-Object UserName -eq bob).Online | Should -BeTrue
        }
        finally {
            Unregister-Event -SourceIdentifier 'octest.closed' -ErrorAction SilentlyContinue
            Get-Event -SourceIdentifier 'octest.closed' -ErrorAction SilentlyContinue | Remove-Event
        }
    }

    It 'closes a revoked user''s live session within seconds and refuses the reconnect (ConnectionRefused)' {
        $bob.State | Should -Be 'Connected'
        $null = Register-ObjectEvent -InputObject $bob -EventName StateChanged -SourceIdentifier 'octest.bobstate'
        try {
            $revoked = Revoke-ChatCertificate -Path $data -UserName bob -Confirm:$false -PassThru -ErrorAction Stop
            @($revoked).Count | Should -BeGreaterOrEqual 1

            $ok = Wait-Condition -TimeoutSeconds 10 { $bob.State -eq 'Closed' }
            $ok | Should -BeTrue -Because "bob's certificate was revoked (state is $($bob.State))"

            # The StateChanged event reports the closing.
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            $closed = $null
            while (-not $closed -and [DateTime]::UtcNow -lt $deadline) {
                $evt = Wait-Event -SourceIdentifier 'octest.bobstate' -Timeout 1
                if ($evt) {
                    if ("$($evt.SourceEventArgs.State)" -eq 'Closed') { $closed = $evt.SourceEventArgs }
                    Remove-Event -EventIdentifier $evt.EventIdentifier
                }
            }
            $closed | Should -Not -BeNullOrEmpty -Because 'StateChanged is raised when the session closes'
            $closed.Reason | Should -Be 'CertificateRevoked'
        }
        finally {
            Unregister-Event -SourceIdentifier 'octest.bobstate' -ErrorAction SilentlyContinue
            Get-Event -SourceIdentifier 'octest.bobstate' -ErrorAction SilentlyContinue | Remove-Event
        }

        $err = Get-ChatErrorRecord { Connect-ChatRoom -Room ops -Identity bob -ProfilePath $profiles -TimeoutSeconds 10 }
        Get-ErrorId $err | Should -Be 'ConnectionRefused'
        # Alice is not affected.
        $alice.State | Should -Be 'Connected'
        @(Get-ChatRoomMember ops -Session $alice).UserName | Should -Contain 'alice'
    }

    It 'fails with ServerUnreachable when nothing listens on the port' {
        $port = Get-UnusedPort
        $null = Register-TestUser -Server $server -UserName dora -ProfilePath $profiles
        $err = Get-ChatErrorRecord { Connect-ChatRoom -Identity dora -ProfilePath $profiles -Server "127.0.0.1:$port" -TimeoutSeconds 5 }
        Get-ErrorId $err | Should -Be 'ServerUnreachable'
    }

    It 'refuses a second connection of an identity that is already connected' {
        $err = Get-ChatErrorRecord { Connect-ChatRoom -Identity alice -ProfilePath $profiles }
        Get-ErrorId $err | Should -Be 'ProfileInUse'
    }

    It 'reports an error for the members of a room that does not exist' {
        $err = Get-ChatErrorRecord { Get-ChatRoomMember 'no-such-room' -Session $alice }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -BeIn @('RoomNotFound', 'NotAMember')
    }
}

Describe 'Stop-ChatServer' {
    BeforeAll {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -ErrorAction Stop
        $port = $server.Port
        $state = @{}
    }

    AfterAll {
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'leaves the server running with -WhatIf' {
        Stop-ChatServer -Server $server -WhatIf
        $server.State | Should -Be 'Running'
        @(Get-ChatServer -Path $data) | Should -HaveCount 1
        $client = [Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $port); $client.Connected | Should -BeTrue }
        finally { $client.Dispose() }
    }

    It 'stops it: State Stopped, no longer listed, the port is free again' {
        $state.PassedThru = Stop-ChatServer -Server $server -Confirm:$false -PassThru -ErrorAction Stop
        @($state.PassedThru) | Should -HaveCount 1
        $server.State | Should -Be 'Stopped'
        @(Get-ChatServer -Path $data) | Should -HaveCount 0
        @(Get-ChatServer | Where-Object Port -eq $port) | Should -HaveCount 0
        $client = [Net.Sockets.TcpClient]::new()
        try {
            { $client.Connect('127.0.0.1', $port) } | Should -Throw
        }
        finally { $client.Dispose() }
    }

    It 'still reports the endpoint it served on once stopped (-PassThru output)' {
        # A stopped server is still an object a script may log or restart from; its Port and
        # Endpoint should say where it served, not 0.
        $state.PassedThru.State | Should -Be 'Stopped'
        $state.PassedThru.Port | Should -Be $port
        $state.PassedThru.Endpoint | Should -Be "127.0.0.1:$port"
    }

    It 'can start again on the same directory and port, keeping the same CA' {
        $fingerprint = $server.CaFingerprint
        $again = Start-ChatServer -Path $data -Port $port -ErrorAction Stop
        try {
            $again.State | Should -Be 'Running'
            $again.Port | Should -Be $port
            $again.CaFingerprint | Should -Be $fingerprint
        }
        finally { Stop-ChatServer -Server $again -Confirm:$false }
        $again.State | Should -Be 'Stopped'
    }
}

Describe 'Start-ChatServer -LogPath' {
    BeforeAll {
        $data = New-TempPath 'data'
        $logPath = Join-Path (New-TempPath 'logs') 'server.jsonl'
        $server = Start-ChatServer -Path $data -Port 0 -LogPath $logPath -ErrorAction Stop

        # The log's events, each line parsed on its own (a line that is not JSON fails here).
        function Get-LogEvent([string] $Path) {
            if (-not (Test-Path -LiteralPath $Path)) { return @() }
            @(Get-Content -LiteralPath $Path | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json -ErrorAction Stop })
        }
    }

    AfterAll {
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'writes the start event as one JSON object on a line' {
        Wait-Condition { @(Get-LogEvent $logPath | Where-Object event -EQ 'ServerStarted').Count -gt 0 } | Should -BeTrue
        $start = @(Get-LogEvent $logPath | Where-Object event -EQ 'ServerStarted')
        $start | Should -HaveCount 1
        $start[0].level | Should -Be 'Information'
        $start[0].eventId | Should -Be 1000
        $start[0].category | Should -Be 'OpenChat.Engine.Server.ChatServer'
        $start[0].Endpoint | Should -Be $server.Endpoint
        $start[0].DataPath | Should -Be $server.Path
        $start[0].message | Should -Match ([regex]::Escape($server.Endpoint))
        ([DateTimeOffset]$start[0].timestamp).Offset | Should -Be ([TimeSpan]::Zero)
    }

    It 'logs a peer that does not speak TLS, with its address' {
        $client = [Net.Sockets.TcpClient]::new()
        try {
            $client.Connect('127.0.0.1', $server.Port)
            $local = $client.Client.LocalEndPoint.Port
            $bytes = [Text.Encoding]::ASCII.GetBytes("GET / HTTP/1.0`r`n`r`n")
            $client.GetStream().Write($bytes, 0, $bytes.Length)
            Wait-Condition { @(Get-LogEvent $logPath | Where-Object { $_.event -eq 'HandshakeFailed' -and $_.RemoteAddress -like "*:$local" }).Count -gt 0 } |
                Should -BeTrue
        }
        finally { $client.Dispose() }
    }

    It 'writes the stop event and releases the file when Stop-ChatServer stops the server' {
        Stop-ChatServer -Server $server -Confirm:$false -ErrorAction Stop
        @(Get-LogEvent $logPath | Where-Object event -EQ 'ServerStopped') | Should -HaveCount 1
        if ($IsLinux) {
            $open = @(Get-ChildItem "/proc/$PID/fd" -ErrorAction SilentlyContinue | ForEach-Object { $_.LinkTarget })
            $open | Should -Not -Contain $logPath -Because 'the log file is closed with the server'
        }
        Remove-Item -LiteralPath $logPath
        $logPath | Should -Not -Exist
    }

    It 'leaves out events below -LogLevel' {
        $quiet = Join-Path (New-TempPath 'logs') 'quiet.jsonl'
        $other = Start-ChatServer -Path (New-TempPath 'data') -Port 0 -LogPath $quiet -LogLevel Warning -ErrorAction Stop
        Stop-ChatServer -Server $other -Confirm:$false
        @(Get-LogEvent $quiet | Where-Object event -EQ 'ServerStarted') | Should -HaveCount 0
    }
}

Describe 'Admin cmdlets default to the data directory of the server running in this session' {
    BeforeAll {
        # Each Describe stops its own servers; none may be left to make the default ambiguous.
        Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
        $script:DefaultDir = New-TempPath 'default'
    }

    AfterAll {
        Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'asks for -Path while no server runs, with a stable error id' {
        { Get-ChatInvite -ErrorAction Stop } | Should -Throw -ErrorId 'DataPathRequired,OpenChat.Cmdlets.Pki.GetChatInviteCommand'
        { Get-ChatCertificate -ErrorAction Stop } | Should -Throw -ErrorId 'DataPathRequired,OpenChat.Cmdlets.Pki.GetChatCertificateCommand'
    }

    It 'lists the invites and certificates of the one running server without -Path' {
        $server = Start-ChatServer -Path $script:DefaultDir -Port 0
        $null = New-ChatInvite -Path $script:DefaultDir -UserName dora
        (Get-ChatInvite).UserName | Should -Be 'dora'
        Get-ChatCertificate -Kind Server | Should -HaveCount 1
        (Get-ChatCertificate -Kind Server).Serial | Should -Be (Get-ChatCertificate -Path $script:DefaultDir -Kind Server).Serial
    }

    It 'asks for -Path again when two servers run' {
        $null = Start-ChatServer -Path (New-TempPath 'second') -Port 0
        $refusal = { Get-ChatInvite -ErrorAction Stop } | Should -Throw -ErrorId 'DataPathRequired,OpenChat.Cmdlets.Pki.GetChatInviteCommand' -PassThru
        $refusal.Exception.Message | Should -Match '2 chat servers'
        (Get-ChatInvite -Path $script:DefaultDir).UserName | Should -Be 'dora'
    }
}
