#Requires -Version 7.6
<#
.SYNOPSIS
    Runs the Pester suite against the built module and writes a pass/fail summary as JSON.
    Called by build.ps1 in a child pwsh so that the freshly built module is the one loaded.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $SummaryFile
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
$env:OPENCHAT_MODULE = (Resolve-Path $ModuleManifest).Path

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path (Split-Path $SummaryFile) 'pester.xml'

$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
@{ Passed = $result.PassedCount; Failed = $failed } | ConvertTo-Json | Set-Content $SummaryFile
exit ([int]($failed -gt 0))
