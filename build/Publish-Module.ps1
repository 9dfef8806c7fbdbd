#Requires -Version 7.6
<#
.SYNOPSIS
    Publishes the built module to a folder used as a PSResourceGet repository. The repository is
    registered under a throw-away name for the publish and removed again, so the user's
    PSResourceGet settings are left as they were.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Repository
)

$ErrorActionPreference = 'Stop'
Test-ModuleManifest (Join-Path $ModulePath 'OpenChat.psd1') | Out-Null
$name = "openchat-build-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
Register-PSResourceRepository -Name $name -Uri $Repository -Trusted
try {
    Publish-PSResource -Path $ModulePath -Repository $name
}
finally {
    Unregister-PSResourceRepository -Name $name
}
Get-ChildItem $Repository -Filter '*.nupkg' | ForEach-Object { Write-Host "Package: $($_.FullName)" }
