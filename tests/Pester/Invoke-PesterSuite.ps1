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

$result = Invoke-Pester -Configuration $config
# The XML report is written after the counts are safe: a failure message holding a character XML
# cannot carry (an escape from a terminal test, say) once made Pester throw and lose the summary.
try {
    Export-NUnitReport -Result $result -Path (Join-Path (Split-Path $SummaryFile) 'pester.xml')
}
catch {
    Write-Warning "The NUnit XML report could not be written: $_"
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# The names of what failed travel to build.ps1, which prints them next to the closing line: a CI
# log often keeps only its tail.
$failedNames = @($result.Failed | ForEach-Object { "$($_.ExpandedPath): $(([string] $_.ErrorRecord[0]) -split "`n" | Select-Object -First 1)" }) +
    @($result.FailedContainers | ForEach-Object { "container $($_.Item): $(([string] $_.ErrorRecord[0]) -split "`n" | Select-Object -First 1)" })
@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount; FailedNames = $failedNames } | ConvertTo-Json | Set-Content $SummaryFile
exit ([int]($failed -gt 0))
