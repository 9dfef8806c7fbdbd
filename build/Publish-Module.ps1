#Requires -Version 7.6
<#
.SYNOPSIS
    Publishes the built module to a folder used as a PSResourceGet repository. The repository is
    registered under a throw-away name for the publish and removed again, so the user's
    PSResourceGet settings are left as they were.
.DESCRIPTION
    -ProjectUri and -LicenseUri are written into the published manifest's PSData (and so into the
    package's projectUrl and licenseUrl). They are parameters rather than part of
    module/OpenChat.psd1 because the project has no public home or chosen licence yet; the
    built module in out/OpenChat is never modified: the stamped copy is made in a temporary folder.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Repository,
    [uri] $ProjectUri,
    [uri] $LicenseUri
)

$ErrorActionPreference = 'Stop'

function Assert-WebUri([uri] $Uri, [string] $Name) {
    if (-not $Uri.IsAbsoluteUri -or $Uri.Scheme -notin 'https', 'http') {
        throw "$Name must be an absolute http(s) address, not '$Uri'."
    }
}

# Everything after the staging folder exists runs under try, so that a refused address or a
# failed publish never leaves the copy behind; only the folder made here is ever removed.
$staging = $null
try {
    if ($ProjectUri -or $LicenseUri) {
        if ($ProjectUri) { Assert-WebUri $ProjectUri 'ProjectUri' }
        if ($LicenseUri) { Assert-WebUri $LicenseUri 'LicenseUri' }
        $staging = Join-Path ([IO.Path]::GetTempPath()) "oc-publish-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory $staging | Out-Null
        $stagedModule = Join-Path $staging (Split-Path -Leaf $ModulePath)
        Copy-Item $ModulePath $stagedModule -Recurse
        $manifestPath = Join-Path $stagedModule 'OpenChat.psd1'
        $lines = @()
        if ($ProjectUri) { $lines += "            ProjectUri   = '$($ProjectUri.AbsoluteUri -replace "'", "''")'" }
        if ($LicenseUri) { $lines += "            LicenseUri   = '$($LicenseUri.AbsoluteUri -replace "'", "''")'" }
        $text = Get-Content $manifestPath -Raw
        if ($text -notmatch 'PSData\s*=\s*@\{') { throw "The manifest has no PSData table to stamp." }
        $text = [regex]::new('PSData\s*=\s*@\{').Replace($text, { param($m) "$($m.Value)`n$($lines -join "`n")" }, 1)
        Set-Content $manifestPath $text -NoNewline
        $ModulePath = $stagedModule
    }

    $manifest = Test-ModuleManifest (Join-Path $ModulePath 'OpenChat.psd1')
    if ($ProjectUri -and $manifest.ProjectUri -ne $ProjectUri.AbsoluteUri) { throw 'ProjectUri did not reach the manifest.' }
    if ($LicenseUri -and $manifest.LicenseUri -ne $LicenseUri.AbsoluteUri) { throw 'LicenseUri did not reach the manifest.' }
    $name = "openchat-build-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    Register-PSResourceRepository -Name $name -Uri $Repository -Trusted
    try {
        Publish-PSResource -Path $ModulePath -Repository $name
    }
    finally {
        Unregister-PSResourceRepository -Name $name
    }
}
finally {
    if ($staging -and (Split-Path -Leaf $staging) -like 'oc-publish-*' -and (Split-Path -Parent $staging) -eq (Split-Path -Parent (Join-Path ([IO.Path]::GetTempPath()) 'x')) -and (Test-Path -LiteralPath $staging)) {
        Remove-Item -LiteralPath $staging -Recurse -Force
    }
}
Get-ChildItem $Repository -Filter '*.nupkg' | ForEach-Object { Write-Host "Package: $($_.FullName)" }
