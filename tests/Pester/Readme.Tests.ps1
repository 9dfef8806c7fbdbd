#Requires -Version 7.6
# Issue 11: the README's walkthroughs work when pasted in order. This runs every fenced block
# marked <!-- walkthrough:admin --> and then every one marked <!-- walkthrough:user -->, in
# document order, as one script in a child pwsh against the built module, and checks that it
# ends without an error and with the outcomes the README promises. A line added to a marked
# block (say a New-ChatRoom before the first use of a room) needs no change here.
#
# What is adapted, and nothing else:
#   - the script runs in an empty temporary folder (so ./chat, ./certs, users.csv are there),
#     with $env:OPENCHAT_HOME in it;
#   - a line that is just "dotnet pwsh" is dropped (the script already runs in pwsh), and
#     ./out/OpenChat/OpenChat.psd1 is the module under test ($env:OPENCHAT_MODULE);
#   - every 7443 (the default port) becomes a free port, and Start-ChatServer is given -Port with it;
#   - Read-Host -AsSecureString [-Prompt '...'] becomes one fixed SecureString password;
#   - $ConfirmPreference is None (the human answers the Revoke/Confirm prompts; the script cannot),
#     errors stop the script ($ErrorActionPreference Stop, also for native commands such as openssl).

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
    $marked = [regex]::Matches($readme, '<!--\s*walkthrough:(?<part>admin|user)\s*-->\s*\r?\n```(?<lang>[\w-]*)\r?\n(?<code>.*?)\r?\n```', 'Singleline')

    function Get-WalkthroughBlocks([string] $Part) {
        @($marked | Where-Object { $_.Groups['part'].Value -eq $Part } | ForEach-Object { $_.Groups['code'].Value })
    }

    function Get-FreePort {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    function ConvertTo-WalkthroughScript([string[]] $Blocks, [int] $Port, [string] $Module) {
        $adapted = for ($i = 0; $i -lt $Blocks.Count; $i++) {
            $code = $Blocks[$i] -replace '(?m)^\s*dotnet pwsh\s*$', ''
            $code = $code.Replace('./out/OpenChat/OpenChat.psd1', "'$Module'")
            $code = $code -replace '7443', "$Port"
            $code = $code -replace '(?m)(Start-ChatServer\b[^#\r\n]*?)(\s*(#|$))', "`$1 -Port $Port`$2"
            $code = $code -replace "Read-Host -AsSecureString(?:\s+-Prompt\s+'[^']*')?", "(ConvertTo-SecureString 'walkthrough-password' -AsPlainText -Force)"
            "Write-Output '=== block $($i + 1)'"
            $code
        }
        @(
            '$ErrorActionPreference = ''Stop'''
            '$PSNativeCommandUseErrorActionPreference = $true'
            '$ConfirmPreference = ''None'''
            '$ProgressPreference = ''SilentlyContinue'''
            'trap { Write-Output "WALKTHROUGH FAILED: $($_.FullyQualifiedErrorId): $_"; exit 1 }'
            $adapted
            'Write-Output ''=== walkthrough done'''
        ) -join "`n"
    }
}

Describe 'The README walkthroughs, pasted in order' {
    BeforeAll {
        $work = Join-Path ([IO.Path]::GetTempPath()) ('oc-readme-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $null = New-Item -ItemType Directory -Path $work
        $port = Get-FreePort
        $blocks = @(Get-WalkthroughBlocks admin) + @(Get-WalkthroughBlocks user)
        $script = Join-Path $work 'walkthrough.ps1'
        ConvertTo-WalkthroughScript -Blocks $blocks -Port $port -Module $env:OPENCHAT_MODULE | Set-Content -LiteralPath $script

        $saved = $env:OPENCHAT_HOME
        $env:OPENCHAT_HOME = Join-Path $work 'home'
        Push-Location $work
        try {
            $output = & dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -File $script 2>&1 | Out-String -Width 200
            # Plain text only: colour escapes in a failure message would break Pester's XML report.
            $output = $output -replace '\x1b\[[0-9;?]*[A-Za-z]', '' -replace '[\x00-\x08\x0b\x0c\x0e-\x1f]', ''
            $exitCode = $LASTEXITCODE
        }
        finally {
            Pop-Location
            $env:OPENCHAT_HOME = $saved
        }
    }

    AfterAll {
        if ($work -and (Test-Path $work)) { Remove-Item -LiteralPath $work -Recurse -Force }
    }

    It 'finds the marked blocks of both walkthroughs' {
        (Get-WalkthroughBlocks admin).Count | Should -BeGreaterOrEqual 5
        (Get-WalkthroughBlocks user).Count | Should -BeGreaterOrEqual 4
    }

    It 'runs every block to the end without an error' {
        $output | Should -Not -Match 'WALKTHROUGH FAILED' -Because $output
        $exitCode | Should -Be 0 -Because $output
        $output | Should -Match '=== walkthrough done'
    }

    It 'leaves what the admin walkthrough promises: the CA, PKCS#12 files 0600, a signed CSR, invites in a CSV, a CRL' {
        $output | Should -Match 'Team chat CA'
        foreach ($file in 'certs/bob.pfx', 'certs/carol.pfx', 'frank.pfx') {
            (Get-Item (Join-Path $work $file)).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        }
        $output | Should -Match 'dave\.crt\.pem: OK'
        $invites = @(Import-Csv (Join-Path $work 'invites.csv'))
        $invites.UserName | Should -Be @('erin', 'gina')
        $invites | ForEach-Object { $_.Invite | Should -BeLike 'ocinvite2.*' }
        Join-Path $work 'chat/ca.crl.pem' | Should -Exist
    }

    It 'leaves what the user walkthrough promises: two identities, a conversation, a direct message, a private room' {
        $output | Should -Match 'ocinvite2\.'
        @(Get-ChatIdentity -ProfilePath (Join-Path $work 'home')).UserName | Should -Be @('alice')
        @(Get-ChatIdentity -ProfilePath (Join-Path $work 'carol')).UserName | Should -Be @('carol')
        $output | Should -Match 'hello, team'
        $output | Should -Match 'back soon'
        $output | Should -Match 'psst'
        $output | Should -Match 'NotInPrivateRoom'
        $output | Should -Match 'war room open'
    }
}
