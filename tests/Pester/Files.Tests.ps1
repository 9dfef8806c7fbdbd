#Requires -Version 7.6
# Files (issue 11): Send-ChatFile encrypts on the sender's machine and uploads opaque chunks;
# Save-ChatFile fetches, verifies and saves under a sanitised name. One server for the file,
# slowed down (-FileBytesPerSecond) so that a 20 MiB upload is still running when the test stops
# the server half-way; the upload resumes by itself once the server is back on the same port.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-files-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'
    $script:MaxFile = 21MB

    function Register-TestUser([string] $UserName) {
        $invite = New-ChatInvite -Path $script:Data -UserName $UserName -Server "127.0.0.1:$($script:Port)" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (Join-Path $script:Root $UserName) -ErrorAction Stop
    }

    function Start-TestServer([int] $Port = $script:Port) {
        $script:Server = Start-ChatServer -Path $script:Data -Port $Port -Address 127.0.0.1 -MaxFileBytes $script:MaxFile `
            -FileBytesPerSecond 2MB -ErrorAction Stop
    }

    function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 60) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for: $What" }
            Start-Sleep -Milliseconds 50
        }
    }

    function Receive-Attachment($Session) {
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ([DateTime]::UtcNow -lt $deadline) {
            $m = @(Receive-ChatMessage -Session $Session -Room ops -Wait -Timeout 5 -WarningAction SilentlyContinue) | Where-Object Attachment | Select-Object -First 1
            if ($m) { return $m }
        }
        throw 'No attachment arrived'
    }

    # A file of random bytes with the canary written into it every 100,000 bytes.
    function New-CanaryFile([string] $Path, [int] $Size, [string] $Canary) {
        $bytes = [byte[]]::new($Size)
        [Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        $mark = [Text.Encoding]::ASCII.GetBytes($Canary)
        for ($at = 0; $at + $mark.Length -le $Size; $at += 100000) { [Array]::Copy($mark, 0, $bytes, $at, $mark.Length) }
        [IO.File]::WriteAllBytes($Path, $bytes)
        Get-Item -LiteralPath $Path
    }

    $script:Data = Join-Path $script:Root 'data'
    Start-TestServer -Port 0
    $script:Port = $script:Server.Port
    $script:Alice = Register-TestUser alice
    $script:Bob = Register-TestUser bob
    $script:sb = Connect-ChatRoom -Identity $script:Bob.Path -ErrorAction Stop
    $null = New-ChatRoom -Name ops -Session $script:sb -ErrorAction Stop
    $script:sa = Connect-ChatRoom -Room ops -Identity $script:Alice.Path -ErrorAction Stop
    Send-ChatMessage -Session $script:sa -Room ops -Message 'hello' -ErrorAction Stop
    $null = @(Receive-ChatMessage -Session $script:sb -Room ops -Wait -Timeout 5 -WarningAction SilentlyContinue)
}

AfterAll {
    Get-Job | Remove-Job -Force -ErrorAction SilentlyContinue
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Send-ChatFile and Save-ChatFile' {
    AfterEach {
        if ($script:Server.State -ne 'Running') { Start-TestServer }
    }

    It 'sends a 20 MiB file through a server stopped half-way, saves it with an equal hash, and the server keeps none of its bytes' {
        $canary = 'CANARY-file-' + [guid]::NewGuid().ToString('N')
        $file = New-CanaryFile (Join-Path $script:Root 'big.bin') 20MB $canary
        $filePath = $file.FullName
        $module = $env:OPENCHAT_MODULE
        $session = $script:sa
        $job = Start-ThreadJob -ScriptBlock {
            Import-Module $using:module
            Send-ChatFile -Session $using:session -Room ops -Path $using:filePath -ErrorAction Stop
        }
        try {
            # Half-way by the sender's own progress bar, then the server goes away.
            Wait-Until { $job.Progress | Where-Object { $_.PercentComplete -ge 40 } } 'the upload to pass 40 %' 60
            $job.State | Should -Be 'Running'
            Stop-ChatServer -Server $script:Server -Confirm:$false -ErrorAction Stop
            Wait-Until { $sa.State -eq 'Reconnecting' } 'alice''s session to notice'
            $stoppedAt = ($job.Progress | Measure-Object PercentComplete -Maximum).Maximum
            $stoppedAt | Should -BeLessThan 100
            Start-TestServer
            $sent = Receive-Job $job -Wait -ErrorAction Stop
        }
        finally {
            Remove-Job $job -Force
        }

        $sent.Size | Should -Be 20MB
        $sent.Sha256 | Should -Be (Get-FileHash -LiteralPath $file.FullName -Algorithm SHA256).Hash.ToLowerInvariant()

        $m = Receive-Attachment $sb
        $m.Attachment.Name | Should -Be 'big.bin'
        $m.Attachment.Size | Should -Be 20MB
        $m.Verified | Should -BeTrue
        "$m" | Should -Match '\[file\] big\.bin \(20 MB\)'
        $in = New-Item -ItemType Directory -Path (Join-Path $script:Root 'in')
        $saved = Save-ChatFile -Session $sb -Message $m -Destination $in.FullName -ErrorAction Stop
        $saved | Should -BeOfType ([IO.FileInfo])
        $saved.FullName | Should -Be (Join-Path $in.FullName 'big.bin')
        (Get-FileHash -LiteralPath $saved.FullName).Hash | Should -Be (Get-FileHash -LiteralPath $file.FullName).Hash
        @(Get-ChildItem -LiteralPath $in.FullName -Force).Count | Should -Be 1

        # The server holds the file only as ciphertext: the canary is in none of its files.
        $needle = $canary
        $found = foreach ($f in Get-ChildItem -LiteralPath $script:Data -Recurse -File -Force | Where-Object Extension -ne '.lock') {
            $haystack = [Text.Encoding]::Latin1.GetString([IO.File]::ReadAllBytes($f.FullName))
            if ($haystack.Contains($needle, [StringComparison]::Ordinal) -or $haystack.Contains('big.bin', [StringComparison]::Ordinal)) { $f.Name }
        }
        $found | Should -BeNullOrEmpty
        (Get-ChildItem -LiteralPath $script:Data -Filter 'files.db*').Count | Should -BeGreaterThan 0
    }

    It 'saves a file announced as ../../evil inside the destination under a sanitised name' {
        $path = Join-Path $script:Root 'innocent.txt'
        Set-Content -LiteralPath $path -Value 'not evil at all' -NoNewline
        $null = Send-ChatFile -Session $sa -Room ops -Path $path -Name '../../evil' -ErrorAction Stop
        $m = Receive-Attachment $sb
        $m.Attachment.Name | Should -Be '../../evil'
        $dest = New-Item -ItemType Directory -Path (Join-Path $script:Root 'dl/deeper')
        $saved = $m | Save-ChatFile -Session $sb -Destination $dest.FullName -ErrorAction Stop
        $saved.FullName | Should -Be (Join-Path $dest.FullName 'evil')
        Get-Content -LiteralPath $saved.FullName -Raw | Should -Be 'not evil at all'
        Test-Path -LiteralPath (Join-Path $script:Root 'dl/evil') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $script:Root 'evil') | Should -BeFalse
        # Saved again: a numbered name, the first file untouched; -Force replaces it.
        ($m | Save-ChatFile -Session $sb -Destination $dest.FullName -ErrorAction Stop).Name | Should -Be 'evil (2)'
        ($m | Save-ChatFile -Session $sb -Destination $dest.FullName -Force -ErrorAction Stop).Name | Should -Be 'evil'
    }

    It 'shows a file name with terminal escapes neutralised, in the message and in the attachment''s own view' {
        $path = Join-Path $script:Root 'plain.txt'
        Set-Content -LiteralPath $path -Value 'plain' -NoNewline
        $null = Send-ChatFile -Session $sa -Room ops -Path $path -Name "red`e[31m.txt" -ErrorAction Stop
        $m = Receive-Attachment $sb
        $m.Attachment.Name | Should -Be "red`e[31m.txt"
        foreach ($shown in @(($m | Out-String -Width 200), ($m.Attachment | Out-String -Width 200), ($m | Format-List | Out-String -Width 200))) {
            $shown | Should -Not -Match "`e"
            $shown | Should -Match 'red'
        }
    }

    It 'sends the files Get-ChildItem passes down the pipeline, one attachment each' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $script:Root 'logs')
        'one' | Set-Content -LiteralPath (Join-Path $dir 'a.log')
        'two' | Set-Content -LiteralPath (Join-Path $dir 'b.log')
        $sent = @(Get-ChildItem -LiteralPath $dir.FullName -Filter *.log | Send-ChatFile -Session $sa -Room ops -ErrorAction Stop)
        $sent.Name | Should -Be @('a.log', 'b.log')
        $sent | ForEach-Object { $_.Sequence | Should -BeGreaterThan 0 }
    }

    It 'refuses a file over the server''s limit with FileTooLarge and stores nothing' {
        $big = New-CanaryFile (Join-Path $script:Root 'too-big.bin') (22MB) 'x'
        $before = (Get-ChildItem -LiteralPath $script:Data -Filter 'files.db*' | Measure-Object Length -Sum).Sum
        $err = Get-ChatErrorRecord { Send-ChatFile -Session $sa -Room ops -Path $big.FullName }
        Get-ErrorId $err | Should -Be 'FileTooLarge'
        $err.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $err.Exception.Message | Should -Match 'nothing was stored'
        (Get-ChildItem -LiteralPath $script:Data -Filter 'files.db*' | Measure-Object Length -Sum).Sum | Should -Be $before
    }

    It 'is exported with help that has examples' {
        foreach ($name in 'Send-ChatFile', 'Save-ChatFile') {
            Get-Command $name -Module OpenChat | Should -Not -BeNullOrEmpty
            @((Get-Help $name).Examples.Example).Count | Should -BeGreaterOrEqual 2
        }
    }
}
