# Installing OpenChat the way users do: publish the built module to a local PSResourceGet
# repository, Install-PSResource it by name, and Import-Module OpenChat by name in a fresh pwsh.
# Every step runs in a child pwsh whose HOME is a temporary folder, so the repository
# registration and the installed module never touch the real user's settings.

BeforeAll {
    $script:moduleDir = Split-Path $env:OPENCHAT_MODULE
    $script:fakeHome = Join-Path ([IO.Path]::GetTempPath()) "oc-install-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    # Never let the clean-up below aim anywhere but the folder made here.
    if (-not ($fakeHome.StartsWith([IO.Path]::GetTempPath()) -and (Split-Path -Leaf $fakeHome) -like 'oc-install-*')) { throw "unexpected test home '$fakeHome'" }
    $script:repo = Join-Path $fakeHome 'repo'
    New-Item -ItemType Directory $repo -Force | Out-Null

    # The child's temporary folder is inside the test home too, so a test can see what it left there.
    $script:fakeTemp = Join-Path $fakeHome 'tmp'
    New-Item -ItemType Directory $fakeTemp -Force | Out-Null

    function Invoke-Fresh([string] $Script) {
        $saved = @{ HOME = $env:HOME; PSModulePath = $env:PSModulePath; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME; TMPDIR = $env:TMPDIR }
        try {
            $env:HOME = $fakeHome
            $env:TMPDIR = $fakeTemp
            $env:PSModulePath = $null
            $env:XDG_DATA_HOME = $null
            $env:XDG_CONFIG_HOME = $null
            # Run from the temporary home: tools that cannot place their settings write them relative to it.
            Push-Location $fakeHome
            try {
                $output = & dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command $Script 2>&1
            }
            finally {
                Pop-Location
            }
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
        finally {
            foreach ($name in $saved.Keys) { Set-Item "env:$name" $saved[$name] }
        }
    }

    $script:publish = Invoke-Fresh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name oclocal -Uri '$repo' -Trusted
Publish-PSResource -Path '$moduleDir' -Repository oclocal
"@
    $script:install = Invoke-Fresh @"
`$ErrorActionPreference = 'Stop'
Install-PSResource -Name OpenChat -Repository oclocal -TrustRepository -Scope CurrentUser
(Get-InstalledPSResource -Name OpenChat).InstalledLocation
"@
    $script:use = Invoke-Fresh @"
`$ErrorActionPreference = 'Stop'
Import-Module OpenChat
`$m = Get-Module OpenChat
"PATH=`$(`$m.Path)"
"COMMANDS=`$(`$m.ExportedCmdlets.Count)"
`$ca = New-ChatCertificateAuthority -Path (Join-Path '$fakeHome' 'chat') -Name 'Installed CA'
"CA=`$(`$ca.Name)"
"HELP=`$((Get-Help New-ChatCertificate).Synopsis)"
"@
}

AfterAll {
    if ($fakeHome -and (Split-Path -Leaf $fakeHome) -like 'oc-install-*' -and $fakeHome.StartsWith([IO.Path]::GetTempPath())) {
        Remove-Item $fakeHome -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Installing OpenChat by name' {
    It 'publishes a package to a local repository' {
        $publish.ExitCode | Should -Be 0 -Because $publish.Output
        $version = (Import-PowerShellDataFile $env:OPENCHAT_MODULE).ModuleVersion
        Test-Path (Join-Path $repo "OpenChat.$version.nupkg") | Should -BeTrue
    }

    It 'installs it with Install-PSResource into the user scope of the (temporary) home' {
        $install.ExitCode | Should -Be 0 -Because $install.Output
        $install.Output | Should -Match ([regex]::Escape($fakeHome))
    }

    It 'imports it by name in a fresh pwsh, with every cmdlet, help and native SQLite working' {
        $use.ExitCode | Should -Be 0 -Because $use.Output
        $use.Output | Should -Match "PATH=$([regex]::Escape($fakeHome))/\.local/share/powershell/Modules/OpenChat/"
        $expected = (Import-PowerShellDataFile $env:OPENCHAT_MODULE).CmdletsToExport.Count
        $use.Output | Should -Match "COMMANDS=$expected\b"
        $use.Output | Should -Match 'CA=Installed CA'
        $use.Output | Should -Match 'HELP=Issues a client or server certificate'
    }

    It 'leaves no repository registered in the real user settings' {
        (Get-PSResourceRepository -Name oclocal -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }
}

Describe 'The package build (build/Publish-Module.ps1)' {
    BeforeAll {
        $script:publishScript = Join-Path $PSScriptRoot '../../build/Publish-Module.ps1'

        function Get-PackageZip([string] $Folder) {
            Add-Type -AssemblyName System.IO.Compression.FileSystem
            $package = Get-ChildItem $Folder -Filter 'OpenChat.*.nupkg' | Select-Object -First 1
            [IO.Compression.ZipFile]::OpenRead($package.FullName)
        }

        function Get-Nuspec([string] $Folder) {
            $zip = Get-PackageZip $Folder
            try {
                $entry = $zip.Entries | Where-Object FullName -eq 'OpenChat.nuspec'
                $reader = [IO.StreamReader]::new($entry.Open())
                try { [xml] $reader.ReadToEnd() } finally { $reader.Dispose() }
            }
            finally { $zip.Dispose() }
        }
    }

    It 'names the MIT licence by its SPDX page and no project address (there is no public home yet)' {
        $metadata = (Get-Nuspec $repo).package.metadata
        $metadata.licenseUrl | Should -Be 'https://spdx.org/licenses/MIT.html'
        $metadata.PSObject.Properties.Name | Should -Not -Contain 'projectUrl'
    }

    It 'carries the LICENSE file, the MIT text of the repository root' {
        $zip = Get-PackageZip $repo
        try {
            $entry = $zip.Entries | Where-Object FullName -eq 'LICENSE'
            $entry | Should -Not -BeNullOrEmpty
            $reader = [IO.StreamReader]::new($entry.Open())
            try { $text = $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
        $text | Should -Be (Get-Content -Raw (Join-Path $PSScriptRoot '../../LICENSE'))
        $text | Should -Match '^MIT License'
    }

    It 'refuses a module folder without its LICENSE, and publishes nothing' {
        $bare = Join-Path (New-Item -ItemType Directory (Join-Path $fakeHome 'bare') -Force).FullName 'OpenChat'
        Copy-Item $moduleDir $bare -Recurse
        Remove-Item (Join-Path $bare 'LICENSE')
        $refusedRepo = Join-Path $fakeHome 'refused'
        New-Item -ItemType Directory $refusedRepo -Force | Out-Null
        $result = Invoke-Fresh "& '$publishScript' -ModulePath '$bare' -Repository '$refusedRepo'"
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Match 'has no\s+(\|\s+)?LICENSE file'
        Get-ChildItem $refusedRepo -Filter '*.nupkg' | Should -BeNullOrEmpty
    }
}
