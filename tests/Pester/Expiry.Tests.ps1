#Requires -Version 7.6
# Issue 12, expiry: short lifetimes (-ValidFor down to ten minutes, in the short forms 10m, 12h,
# 30d or as a TimeSpan), Get-ChatCertificate -ExpiringWithin, and what Start-ChatServer and
# Get-ChatServer say about what expires within 30 days. A ten-minute certificate is used for a
# real connection, in real time.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-expiry-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'
    $filePassword = ConvertTo-TestSecureString 'file-password-42'
}

AfterAll {
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path $script:Root)) { Remove-Item -LiteralPath $script:Root -Recurse -Force }
}

Describe 'Short lifetimes and Get-ChatCertificate -ExpiringWithin' {
    BeforeAll {
        $dir = New-TestCa -WithServer
        $keys = Join-Path $TestDrive 'keys'
    }

    It 'issues a ten-minute certificate (-ValidFor 10m), listed by -ExpiringWithin 1h and not by -ExpiringWithin 5m' {
        $brief = New-ChatCertificate -Path $dir -UserName brief -ValidFor 10m -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        ($brief.NotAfter - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 8
        ($brief.NotAfter - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeLessOrEqual 10
        $null = New-ChatCertificate -Path $dir -UserName steady -OutDirectory $keys -Password $filePassword -ErrorAction Stop

        (Get-ChatCertificate -Path $dir -ExpiringWithin 1h).Name | Should -Be @('brief')
        Get-ChatCertificate -Path $dir -ExpiringWithin 5m | Should -BeNullOrEmpty
        (Get-ChatCertificate -Path $dir -ExpiringWithin (New-TimeSpan -Minutes 30)).Name | Should -Be @('brief')
    }

    It 'takes the span as PowerShell writes a TimeSpan ("30.00:00:00") and lists any kind, soonest first' {
        (Get-ChatCertificate -Path $dir -ExpiringWithin '30.00:00:00').Name | Should -Be @('brief')
        # The server certificate (397 days) and the year-long user certificate are inside 400 days.
        $all = @(Get-ChatCertificate -Path $dir -ExpiringWithin 400d)
        $all.Name[0] | Should -Be 'brief'
        $all.Kind | Should -Contain 'Server'
        $all.Name | Should -Contain 'steady'
        @(Get-ChatCertificate -Path $dir -ExpiringWithin 400d -Kind Client).Kind | Should -Not -Contain 'Server'
    }

    It 'does not list a revoked certificate' {
        $gone = New-ChatCertificate -Path $dir -UserName gone -ValidFor 15m -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        $null = Revoke-ChatCertificate -Path $dir -Serial $gone.Serial -Confirm:$false -ErrorAction Stop
        (Get-ChatCertificate -Path $dir -ExpiringWithin 1h).Name | Should -Not -Contain 'gone'
    }

    It 'refuses a -ValidFor under ten minutes with ValidityInvalid and stores nothing' {
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName tooshort -ValidFor 9m -OutDirectory $keys -Password $filePassword }
        Get-ErrorId $err | Should -Be 'ValidityInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '10 minutes'
        # A bare number binds as ticks: refused the same way.
        Get-ErrorId (Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName tooshort -ValidFor 600 -OutDirectory $keys -Password $filePassword }) | Should -Be 'ValidityInvalid'
        Get-ChatCertificate -Path $dir -UserName tooshort | Should -BeNullOrEmpty
    }

    It 'refuses -ValidFor together with -ValidDays (ValidityConflict) and issues nothing' {
        $err = Get-ChatErrorRecord { New-ChatCertificate -Path $dir -UserName both -ValidFor 1h -ValidDays 2 -OutDirectory $keys -Password $filePassword }
        Get-ErrorId $err | Should -Be 'ValidityConflict'
        Get-ChatCertificate -Path $dir -UserName both | Should -BeNullOrEmpty
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName both -ValidFor 1h -ValidDays 2 }) | Should -Be 'ValidityConflict'
        Get-ChatInvite -Path $dir -UserName both | Should -BeNullOrEmpty
    }

    It 'makes a ten-minute invite (-ValidFor 10m) and refuses one of five minutes (ValidityInvalid)' {
        $inv = New-ChatInvite -Path $dir -UserName invited -ValidFor 10m -ErrorAction Stop
        ($inv.ExpiresAt - $inv.CreatedAt).TotalSeconds | Should -Be 600
        Get-ErrorId (Get-ChatErrorRecord { New-ChatInvite -Path $dir -UserName hurried -ValidFor 5m }) | Should -Be 'ValidityInvalid'
        Get-ChatInvite -Path $dir -UserName hurried | Should -BeNullOrEmpty
    }

    It 'refuses a negative -ExpiringWithin (ValidityInvalid)' {
        Get-ErrorId (Get-ChatErrorRecord { Get-ChatCertificate -Path $dir -ExpiringWithin (New-TimeSpan -Days -1) }) | Should -Be 'ValidityInvalid'
    }
}

Describe 'Start-ChatServer and Get-ChatServer report what expires within 30 days; a ten-minute certificate connects' {
    BeforeAll {
        $data = Join-Path $script:Root 'data'
        $keys = Join-Path $script:Root 'keys'
        $null = New-ChatCertificateAuthority -Path $data -Name 'Expiry CA' -ErrorAction Stop
        $null = New-ChatCertificate -Path $data -Server -DnsName localhost -IPAddress 127.0.0.1 -ValidFor 20d -ErrorAction Stop
        $brief = New-ChatCertificate -Path $data -UserName brief -ValidFor 10m -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        $null = New-ChatCertificate -Path $data -UserName steady -OutDirectory $keys -Password $filePassword -ErrorAction Stop
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -WarningVariable startWarnings -WarningAction SilentlyContinue -ErrorAction Stop
        $address = "127.0.0.1:$($server.Port)"
        $fingerprint = (Get-ChatCertificateAuthority -Path $data).Fingerprint
    }

    AfterAll {
        Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
        if ($server) { Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'warns at start about the server certificate and the user certificate that expire soon, and not about the CA' {
        $expiry = @($startWarnings | Where-Object { "$_" -like 'Expiring within 30 days*' })
        $expiry | Should -HaveCount 1
        "$($expiry[0])" | Should -Match "the server's TLS certificate expires on"
        "$($expiry[0])" | Should -Match '1 user certificate\(s\) \(brief\)'
        "$($expiry[0])" | Should -Not -Match 'steady'
        "$($expiry[0])" | Should -Not -Match 'CA certificate'
    }

    It 'shows the server certificate''s and the CA''s expiry and the count of user certificates expiring soon' {
        $s = Get-ChatServer -Path $data
        $serverCert = Get-ChatCertificate -Path $data -Kind Server
        $s.ServerCertificateExpires | Should -Be $serverCert.NotAfter
        ($s.ServerCertificateExpires - [DateTimeOffset]::UtcNow).TotalDays | Should -BeLessOrEqual 20
        $s.CaExpires | Should -Be (Get-ChatCertificateAuthority -Path $data).NotAfter
        $s.CertificatesExpiringSoon | Should -Be 1
        $list = $s | Format-List | Out-String
        $list | Should -Match 'ServerCertificateExpires'
        $list | Should -Match 'CaExpires'
        $list | Should -Match 'CertificatesExpiringSoon : 1'
        $table = ($s | Format-Table | Out-String -Width 400) -split "`n" | Where-Object { $_ -match 'Endpoint' }
        $table | Should -Match 'Expiring'
        # Every column but the path (last, as long as the directory's) fits well inside 120.
        $table.IndexOf('Path') | Should -BeLessThan 100
    }

    It 'connects for real with the ten-minute certificate and chats with a user enrolled by invite' {
        $bobInvite = New-ChatInvite -Path $data -UserName bob -Server $address -ErrorAction Stop
        $bob = Register-ChatUser -Invite $bobInvite.Invite -ProfilePath (Join-Path $script:Root 'bob') -ErrorAction Stop
        $me = Register-ChatUser -Certificate $brief.OutFile -Server $address -CertificatePassword $filePassword -CaFingerprint $fingerprint -ErrorAction Stop
        $me.UserName | Should -Be 'brief'
        $sb = Connect-ChatRoom -Identity $bob.Path -ErrorAction Stop
        $sa = Connect-ChatRoom -Identity $me.Path -ErrorAction Stop
        $text = 'ten minutes ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Send-ChatMessage -Session $sa -To bob -Message $text -ErrorAction Stop
        $got = Receive-ChatMessage -Session $sb -Room '@*' -Wait -Timeout 15 | Where-Object Text -eq $text | Select-Object -First 1
        $got.Sender | Should -Be 'brief'
    }
}
