#Requires -Version 7.6
# New-ChatInvite / Get-ChatInvite / Revoke-ChatInvite.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $PSDefaultParameterValues = Get-TestKeyOutputDefaults

    function ConvertFrom-Base64Url([string] $Text) {
        $s = $Text.Replace('-', '+').Replace('_', '/')
        switch ($s.Length % 4) { 2 { $s += '==' } 3 { $s += '=' } }
        [Convert]::FromBase64String($s)
    }

    # Decodes an invite string into its JSON fields.
    function ConvertFrom-TestInvite([string] $Invite) {
        $Invite | Should -BeLike 'ocinvite2.*'
        $json = [Text.Encoding]::UTF8.GetString((ConvertFrom-Base64Url $Invite.Substring('ocinvite2.'.Length)))
        $json | ConvertFrom-Json
    }

    # Every byte the CA keeps on disk in its store (the database and any WAL/journal beside it).
    function Get-StoreBytes([string] $Directory) {
        $files = Get-ChildItem -LiteralPath $Directory -File -Filter 'openchat.db*'
        $all = [Collections.Generic.List[byte]]::new()
        foreach ($f in $files) { $all.AddRange([IO.File]::ReadAllBytes($f.FullName)) }
        , $all.ToArray()
    }

    # Moves an invite's stored expiry time (the store keeps unix milliseconds), standing in for
    # the clock moving on. Microsoft.Data.Sqlite is loaded by the module.
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

    # Byte-exact search through Latin-1, which maps every byte to one char.
    function Test-BytesContain([byte[]] $Haystack, [byte[]] $Needle) {
        $latin1 = [Text.Encoding]::Latin1
        $latin1.GetString($Haystack).Contains($latin1.GetString($Needle), [StringComparison]::Ordinal)
    }
}

Describe 'An invite' {
    BeforeAll {
        $dir = New-TestCa -WithServer
        $ca = Get-ChatCertificateAuthority -Path $dir
        $invite = New-ChatInvite -Path $dir -UserName newbie
        $payload = ConvertFrom-TestInvite $invite.Invite
    }

    It 'is a string starting with ocinvite2.' {
        $invite.Invite | Should -BeOfType [string]
        $invite.Invite | Should -Match '^ocinvite2\.[A-Za-z0-9_-]+$'
        $invite.Status | Should -Be 'Pending'
        $invite.UserName | Should -Be 'newbie'
    }

    It 'carries the server address, the CA fingerprint, the id, the user and a secret' {
        $payload.s | Should -Be $invite.Server
        $payload.s | Should -Match '^[^:]+:\d+$'
        $payload.f | Should -Be ($ca.Fingerprint -replace ':', '').ToLowerInvariant()
        $payload.f | Should -Match '^[0-9a-f]{64}$'
        $payload.i | Should -Be $invite.Id
        $payload.u | Should -Be 'newbie'
        (ConvertFrom-Base64Url $payload.k).Length | Should -BeGreaterOrEqual 32
    }

    It 'pins the installed server key: SHA-256 of its SubjectPublicKeyInfo, as openssl computes it' {
        $spki = Join-Path $TestDrive 'server.spki.der'
        $pub = Invoke-OpenSsl x509 -in (Join-Path $dir 'server.crt.pem') -noout -pubkey
        $pub.ExitCode | Should -Be 0
        Set-Content -LiteralPath (Join-Path $TestDrive 'server.pub.pem') -Value $pub.Output
        (Invoke-OpenSsl pkey -pubin -in (Join-Path $TestDrive 'server.pub.pem') -outform DER -out $spki).ExitCode | Should -Be 0
        $payload.p | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([IO.File]::ReadAllBytes($spki))).ToLowerInvariant())
    }

    It 'expires in 7 days by default' {
        ($invite.ExpiresAt - $invite.CreatedAt).TotalDays | Should -BeGreaterThan 6.99
        ($invite.ExpiresAt - $invite.CreatedAt).TotalDays | Should -BeLessThan 7.01
    }

    It 'is stored by id but its secret is not (neither base64url text nor raw bytes)' {
        $bytes = Get-StoreBytes $dir
        $bytes.Length | Should -BeGreaterThan 0
        $ascii = [Text.Encoding]::ASCII
        Test-BytesContain $bytes $ascii.GetBytes($invite.Id) | Should -BeTrue -Because 'the invite itself is stored'
        Test-BytesContain $bytes $ascii.GetBytes($payload.k) | Should -BeFalse
        Test-BytesContain $bytes (ConvertFrom-Base64Url $payload.k) | Should -BeFalse
        Test-BytesContain $bytes $ascii.GetBytes($invite.Invite) | Should -BeFalse
        # No other file in the data directory holds it either.
        foreach ($f in Get-ChildItem -LiteralPath $dir -File -Recurse) {
            $content = [IO.File]::ReadAllBytes($f.FullName)
            Test-BytesContain $content $ascii.GetBytes($payload.k) | Should -BeFalse -Because $f.Name
            Test-BytesContain $content (ConvertFrom-Base64Url $payload.k) | Should -BeFalse -Because $f.Name
        }
    }

    It 'is listed Pending by Get-ChatInvite, without the invite text' {
        $listed = @(Get-ChatInvite -Path $dir)
        $listed | Should -HaveCount 1
        $listed[0].Id | Should -Be $invite.Id
        $listed[0].UserName | Should -Be 'newbie'
        $listed[0].Status | Should -Be 'Pending'
        $listed[0].Invite | Should -BeNullOrEmpty
        # The store keeps milliseconds.
        $listed[0].ExpiresAt.ToUnixTimeMilliseconds() | Should -Be $invite.ExpiresAt.ToUnixTimeMilliseconds()
    }

    It 'has a fresh id and secret each time' {
        $other = New-ChatInvite -Path $dir -UserName newbie2
        $p2 = ConvertFrom-TestInvite $other.Invite
        $p2.i | Should -Not -Be $payload.i
        $p2.k | Should -Not -Be $payload.k
    }
}

Describe 'Invite lifetime and cancellation' {
    BeforeAll { $dir = New-TestCa -WithServer }

    It 'is refused before the server has a certificate (ServerCertificateMissing), since it names the server key' {
        $bare = New-TestCa
        $err = Get-ChatErrorRecord { New-ChatInvite -Path $bare -UserName early }
        Get-ErrorId $err | Should -Be 'ServerCertificateMissing'
        $err.Exception.Message | Should -Match 'New-ChatCertificate'
        Get-ChatInvite -Path $bare | Should -BeNullOrEmpty
    }

    It 'refuses a -ValidFor under a minute (New-TimeSpan -Seconds 1) with ValidityInvalid and stores nothing' {
        # An invite that dies before it can be delivered is refused (the CA's minimum is ten minutes).
        $err = Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName tooshort -ValidFor (New-TimeSpan -Seconds 1) }
        Get-ErrorId $err | Should -Be 'ValidityInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-ChatInvite -Path $dir -UserName tooshort | Should -BeNullOrEmpty
    }

    It 'is listed Expired once its time has run out' {
        $inv = New-ChatInvite -Path $dir -UserName shortlived -ValidFor 10m
        $inv.Status | Should -Be 'Pending'
        ($inv.ExpiresAt - $inv.CreatedAt).TotalSeconds | Should -BeGreaterOrEqual 599
        ($inv.ExpiresAt - $inv.CreatedAt).TotalSeconds | Should -BeLessOrEqual 601
        (Get-ChatInvite -Path $dir -Id $inv.Id).Status | Should -Be 'Pending'
        # Waiting ten real minutes would make the suite slow; instead move the stored expiry time
        # (unix milliseconds) a moment into the past, as if the ten minutes had passed.
        Set-TestInviteExpiry -Directory $dir -Id $inv.Id -ExpiresAt ([DateTimeOffset]::UtcNow.AddMilliseconds(500))
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            $status = (Get-ChatInvite -Path $dir -Id $inv.Id).Status
            if ($status -eq 'Expired') { break }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        $status | Should -Be 'Expired'
        (Get-ChatInvite -Path $dir -Status Expired).Id | Should -Contain $inv.Id
        (Get-ChatInvite -Path $dir -Status Pending).Id | Should -Not -Contain $inv.Id
    }

    It 'cannot cancel an expired invite (InviteExpired)' {
        $inv = New-ChatInvite -Path $dir -UserName expiredcancel -ValidFor (New-TimeSpan -Minutes 10)
        Set-TestInviteExpiry -Directory $dir -Id $inv.Id -ExpiresAt ([DateTimeOffset]::UtcNow.AddSeconds(-1))
        $null = Revoke-ChatInvite -Path $dir -Id $inv.Id -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'InviteExpired,*'
        (Get-ChatInvite -Path $dir -Id $inv.Id).Status | Should -Be 'Expired'
    }

    It 'is cancelled by Revoke-ChatInvite' {
        $inv = New-ChatInvite -Path $dir -UserName cancelme
        $out = Revoke-ChatInvite -Path $dir -Id $inv.Id -PassThru -Confirm:$false
        $out.Status | Should -Be 'Revoked'
        $out.RevokedAt | Should -Not -BeNullOrEmpty
        (Get-ChatInvite -Path $dir -Id $inv.Id).Status | Should -Be 'Revoked'
    }

    It 'cancels from the pipeline' {
        $inv = New-ChatInvite -Path $dir -UserName pipecancel
        Get-ChatInvite -Path $dir -UserName pipecancel | Revoke-ChatInvite -Path $dir -Confirm:$false -ErrorAction Stop
        (Get-ChatInvite -Path $dir -Id $inv.Id).Status | Should -Be 'Revoked'
    }

    It 'cancels nothing with -WhatIf' {
        $inv = New-ChatInvite -Path $dir -UserName whatifcancel
        Revoke-ChatInvite -Path $dir -Id $inv.Id -WhatIf
        (Get-ChatInvite -Path $dir -Id $inv.Id).Status | Should -Be 'Pending'
    }

    It 'reports cancelling twice as InviteRevoked' {
        $inv = New-ChatInvite -Path $dir -UserName twice
        Revoke-ChatInvite -Path $dir -Id $inv.Id -Confirm:$false -ErrorAction Stop
        $null = Revoke-ChatInvite -Path $dir -Id $inv.Id -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'InviteRevoked,*'
    }

    It 'reports an unknown id as InviteNotFound' {
        $null = Revoke-ChatInvite -Path $dir -Id 'ffffffffffffffffffffffff' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev | Should -HaveCount 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'InviteNotFound,*'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses a -ValidFor of zero or beyond the maximum with ValidityInvalid' {
        $before = @(Get-ChatInvite -Path $dir).Count
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName zerolife -ValidFor ([TimeSpan]::Zero) }) | Should -Be 'ValidityInvalid'
        # A bare number binds as ticks: refused rather than creating a dead invite.
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName tickslife -ValidFor 5 }) | Should -Be 'ValidityInvalid'
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName longlife -ValidFor (New-TimeSpan -Days 400) }) | Should -Be 'ValidityInvalid'
        @(Get-ChatInvite -Path $dir).Count | Should -Be $before
    }
}

Describe 'Invite names and servers' {
    BeforeAll {
        $dir = New-TestCa
        $null = New-ChatCertificate -Path $dir -UserName alice
        $null = New-ChatCertificate -Path $dir -Server -DnsName chathost
    }

    It 'refuses an invalid user name with UserNameInvalid and stores nothing' {
        $err = Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName 'bad name' }
        Get-ErrorId $err | Should -Be 'UserNameInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-ChatInvite -Path $dir | Should -BeNullOrEmpty
    }

    It 'refuses a reserved name with UserNameReserved' {
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName Server }) | Should -Be 'UserNameReserved'
        Get-ChatInvite -Path $dir | Should -BeNullOrEmpty
    }

    It 'refuses the server''s own name with UserNameReserved' {
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName chathost }) | Should -Be 'UserNameReserved'
        Get-ChatInvite -Path $dir | Should -BeNullOrEmpty
    }

    It 'refuses a name that holds a valid certificate with UserNameTaken (also in another case)' {
        $err = Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName alice }
        Get-ErrorId $err | Should -Be 'UserNameTaken'
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName ALICE }) | Should -Be 'UserNameTaken'
        Get-ChatInvite -Path $dir | Should -BeNullOrEmpty
    }

    It 'refuses the look-alike <_> of alice or of the server with UserNameConfusable, naming who it looks like' -ForEach @('aIice', 'a1ice', 'AL1CE', 'chath0st') {
        $err = Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName $_ }
        Get-ErrorId $err | Should -Be 'UserNameConfusable'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.Exception.Message | Should -Match "looks like (the existing user 'alice'|this server's name 'chathost')"
        Get-ChatInvite -Path $dir | Should -BeNullOrEmpty
    }

    It 'invites a name that only looks different (alicia)' {
        $inv = New-ChatInvite -Path $dir -UserName alicia
        (Get-ChatInvite -Path $dir -UserName alicia).Id | Should -Be $inv.Id
        $null = Revoke-ChatInvite -Path $dir -Id $inv.Id -Confirm:$false
    }

    It 'allows an invite for another device of alice with -AdditionalDevice' {
        $inv = New-ChatInvite -Path $dir -UserName alice -AdditionalDevice
        $inv.AdditionalDevice | Should -BeTrue
        (Get-ChatInvite -Path $dir -UserName alice).Id | Should -Be $inv.Id
    }

    It 'carries -Server chat.example.org:9000' {
        $inv = New-ChatInvite -Path $dir -UserName remote -Server 'chat.example.org:9000'
        $inv.Server | Should -Be 'chat.example.org:9000'
        (ConvertFrom-TestInvite $inv.Invite).s | Should -Be 'chat.example.org:9000'
        (Get-ChatInvite -Path $dir -Id $inv.Id).Server | Should -Be 'chat.example.org:9000'
    }

    It 'refuses a bad -Server with ServerAddressInvalid and stores nothing' {
        $before = @(Get-ChatInvite -Path $dir).Count
        $err = Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName badserver -Server 'no port:x' }
        Get-ErrorId $err | Should -Be 'ServerAddressInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName badserver -Server 'chat.example.org:70000' }) | Should -Be 'ServerAddressInvalid'
        @(Get-ChatInvite -Path $dir).Count | Should -Be $before
        Get-ChatInvite -Path $dir -UserName badserver | Should -BeNullOrEmpty
    }

    It 'creates one invite per name from the pipeline' {
        $out = @('carol', 'dave' | New-ChatInvite -Path $dir)
        $out | Should -HaveCount 2
        $out.UserName | Should -Be @('carol', 'dave')
        $out | ForEach-Object { $_.Invite | Should -BeLike 'ocinvite2.*' }
        (ConvertFrom-TestInvite $out[0].Invite).u | Should -Be 'carol'
        (ConvertFrom-TestInvite $out[1].Invite).u | Should -Be 'dave'
        ($out.Id | Sort-Object -Unique) | Should -HaveCount 2
        (Get-ChatInvite -Path $dir -UserName carol, dave).Id | Sort-Object | Should -Be ($out.Id | Sort-Object)
    }

    It 'filters Get-ChatInvite by user name wildcard' {
        (Get-ChatInvite -Path $dir -UserName 'ca*').UserName | Should -Be 'carol'
    }

    It 'warns, naming them, when the server certificate is replaced while invites wait for the old key' {
        $waiting = New-ChatInvite -Path $dir -UserName beforeswap
        $null = New-ChatCertificate -Path $dir -Server -DnsName chathost -Force -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue -ErrorAction Stop
        "$w" | Should -Match 'ServerKeyMismatch'
        "$w" | Should -Match ([regex]::Escape($waiting.Id))
        # Invites made from now on name the new key.
        $after = New-ChatInvite -Path $dir -UserName afterswap
        (ConvertFrom-TestInvite $after.Invite).p | Should -Not -Be (ConvertFrom-TestInvite $waiting.Invite).p
    }

    It 'fails with CaNotFound in a directory without a CA' {
        $empty = New-Item -ItemType Directory -Path (New-TestDirectoryPath)
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $empty.FullName -UserName someone }) | Should -Be 'CaNotFound'
    }
}

Describe 'Bulk invites from a CSV' {
    BeforeAll {
        $dir = New-TestCa -WithServer
        $csv = Join-Path $TestDrive 'users.csv'
        $out = Join-Path $TestDrive 'invites.csv'
        @(
            'UserName,ValidDays,Email'
            'alice,3,alice@example.org'
            'bad name,7,x@example.org'
            'bob,,bob@example.org'
            'ALICE,7,again@example.org'
            'carol,14,carol@example.org'
        ) | Set-Content -LiteralPath $csv
    }

    It 'Import-Csv | New-ChatInvite | Export-Csv writes one row per good user with name, expiry and invite text, and names the bad rows' {
        # UserName and ValidDays bind from the columns by property name (an empty ValidDays is the default, 7 days).
        Import-Csv $csv |
            New-ChatInvite -Path $dir -ErrorVariable bad -ErrorAction SilentlyContinue -ProgressAction SilentlyContinue |
            Export-Csv -LiteralPath $out

        $rows = @(Import-Csv -LiteralPath $out)
        $rows.UserName | Should -Be @('alice', 'bob', 'carol')
        $rows | ForEach-Object { $_.Invite | Should -BeLike 'ocinvite2.*' }
        $rows[0].PSObject.Properties.Name | Should -Contain 'ExpiresAt'
        $rows[0].PSObject.Properties.Name | Should -Not -Contain 'Certificate'
        $expires = $rows | ForEach-Object { [DateTimeOffset]::Parse($_.ExpiresAt, [cultureinfo]::CurrentCulture) }
        $now = [DateTimeOffset]::UtcNow
        ($expires[0] - $now).TotalDays | Should -BeGreaterThan 2.9
        ($expires[0] - $now).TotalDays | Should -BeLessThan 3.1
        ($expires[1] - $now).TotalDays | Should -BeGreaterThan 6.9
        ($expires[2] - $now).TotalDays | Should -BeGreaterThan 13.9

        # The two bad rows are non-terminating errors that say which input they were.
        $bad | Should -HaveCount 2
        Get-ErrorId $bad[0] | Should -Be 'UserNameInvalid'
        $bad[0].ErrorDetails.Message | Should -BeLike "Input 2 ('bad name'):*"
        $bad[0].TargetObject | Should -Be 'bad name'
        Get-ErrorId $bad[1] | Should -Be 'UserNameDuplicate'
        $bad[1].ErrorDetails.Message | Should -BeLike "Input 4 ('ALICE'):*"
        @(Get-ChatInvite -Path $dir -UserName alice) | Should -HaveCount 1
    }

    It 'shows progress over the pipeline' {
        # Progress cannot be redirected: a runspace of its own collects the records.
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:OPENCHAT_MODULE'; 1..5 | ForEach-Object { [pscustomobject]@{ UserName = ""prog`$_"" } } | New-ChatInvite -Path '$dir'")
        $invites = $ps.Invoke()
        $invites | Should -HaveCount 5
        $shown = @($ps.Streams.Progress | Where-Object Activity -eq 'Creating invites')
        $ps.Dispose()
        $shown.Count | Should -BeGreaterThan 5
        $shown[-1].RecordType | Should -Be 'Completed'
        $shown[4].StatusDescription | Should -Match '5 created, last: prog5'
    }
}
