#Requires -Version 7.6
<#
.SYNOPSIS
    Publishes the built module to a folder used as a PSResourceGet repository. The repository is
    registered under a throw-away name for the publish and removed again, so the user's
    PSResourceGet settings are left as they were.
.DESCRIPTION
    The package's licence address (the SPDX page of the MIT licence) comes from the manifest's
    PSData, and the LICENSE file travels in the module folder; the built module is published as
    it is, never modified.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Repository
)

$ErrorActionPreference = 'Stop'

$manifest = Test-ModuleManifest (Join-Path $ModulePath 'OpenChat.psd1')
if (-not $manifest.LicenseUri) { throw 'The manifest names no LicenseUri.' }
if (-not (Test-Path -LiteralPath (Join-Path $ModulePath 'LICENSE'))) { throw "The module folder '$ModulePath' has no LICENSE file." }
$name = "openchat-build-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
Register-PSResourceRepository -Name $name -Uri $Repository -Trusted
try {
    Publish-PSResource -Path $ModulePath -Repository $name
}
finally {
    Unregister-PSResourceRepository -Name $name
}
Get-ChildItem $Repository -Filter '*.nupkg' | ForEach-Object { Write-Host "Package: $($_.FullName)" }
