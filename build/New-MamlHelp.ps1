#Requires -Version 7.6
<#
.SYNOPSIS
    Writes the module's MAML help from the sources in help/ and the cmdlets' own metadata.
.DESCRIPTION
    Each exported cmdlet has help/<Name>.psd1 with Synopsis, Description, Parameters (a
    description per parameter), Inputs, Outputs, Notes, Examples and Links. Syntax, types,
    positions, pipeline input and aliases come from Get-Command, so they cannot drift from the
    code. A cmdlet or parameter without help fails the build. about_*.help.txt files are copied.
    platyPS is not available from NuGet here, hence this small generator.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $HelpSource,
    [Parameter(Mandatory)] [string] $OutDirectory
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$module = Import-Module $ModuleManifest -PassThru -Force
$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
# -WhatIf and -Confirm are shown in syntax and parameters like Microsoft's own help, with stock text.
$shouldProcess = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}
$problems = [System.Collections.Generic.List[string]]::new()

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

New-Item -ItemType Directory -Force $OutDirectory | Out-Null
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$helpFile = Join-Path $OutDirectory "$(Split-Path -Leaf $module.Path)-Help.xml"
$w = [System.Xml.XmlWriter]::Create($helpFile, $settings)

function Write-Paras([string] $Prefix, [string] $Name, [string] $Text) {
    $w.WriteStartElement($Prefix, $Name, $ns[$Prefix])
    foreach ($para in ($Text.Trim() -split '\r?\n\s*\r?\n')) {
        $w.WriteElementString('maml', 'para', $ns.maml, ($para -replace '\s*\r?\n\s*', ' ').Trim())
    }
    $w.WriteEndElement()
}

function Write-Type([string] $TypeName) {
    $w.WriteStartElement('dev', 'type', $ns.dev)
    $w.WriteElementString('maml', 'name', $ns.maml, $TypeName)
    $w.WriteEndElement()
}

function Get-PipelineText($Attributes) {
    $byValue = $Attributes | Where-Object ValueFromPipeline
    $byName = $Attributes | Where-Object ValueFromPipelineByPropertyName
    if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' }
    elseif ($byValue) { 'True (ByValue)' }
    elseif ($byName) { 'True (ByPropertyName)' }
    else { 'False' }
}

function Write-Parameter($Parameter, $SetParameter, [string] $Description) {
    # $SetParameter is the parameter as seen in one parameter set (or $null for the full list).
    $attributes = @($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
    $scoped = if ($SetParameter) { @($attributes | Where-Object { $_.ParameterSetName -in @($SetParameter.ParameterSetName, '__AllParameterSets') }) } else { $attributes }
    $required = [bool]($scoped | Where-Object Mandatory)
    $positioned = @($scoped | Where-Object { $_.Position -ge 0 })
    $position = if ($positioned.Count) { $positioned[0].Position } else { $null }
    $isSwitch = $Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]
    # Show TimeSpan, not Nullable`1, for a [TimeSpan?] parameter.
    $valueType = [Nullable]::GetUnderlyingType($Parameter.ParameterType) ?? $Parameter.ParameterType
    $globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })

    $w.WriteStartElement('command', 'parameter', $ns.command)
    $w.WriteAttributeString('required', $required.ToString().ToLowerInvariant())
    $w.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
    $w.WriteAttributeString('globbing', $globbing.ToString().ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', (Get-PipelineText $scoped))
    $w.WriteAttributeString('position', $(if ($null -ne $position) { "$($position + 1)" } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $ns.maml, $Parameter.Name)
    Write-Paras 'maml' 'description' $Description
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $ns.command)
        $w.WriteAttributeString('required', 'true')
        $w.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
        $w.WriteString($valueType.Name)
        $w.WriteEndElement()
    }
    Write-Type $valueType.FullName
    $w.WriteEndElement()
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')

foreach ($cmd in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $source = Join-Path $HelpSource "$($cmd.Name).psd1"
    if (-not (Test-Path $source)) { $problems.Add("$($cmd.Name): no help source at $source"); continue }
    $help = Import-PowerShellDataFile $source
    foreach ($key in 'Synopsis', 'Description', 'Parameters', 'Examples', 'Inputs', 'Outputs') {
        if (-not $help.ContainsKey($key) -or -not $help[$key]) { $problems.Add("$($cmd.Name): '$key' is missing") }
    }
    if (-not $help.ContainsKey('Parameters')) { continue }
    $own = $cmd.Parameters.Values | Where-Object { $_.Name -notin $common }
    foreach ($p in $own) {
        if (-not $help.Parameters.ContainsKey($p.Name) -or [string]::IsNullOrWhiteSpace($help.Parameters[$p.Name])) {
            $problems.Add("$($cmd.Name): parameter -$($p.Name) has no description")
        }
    }
    foreach ($name in $help.Parameters.Keys) {
        if ($name -notin $own.Name) { $problems.Add("$($cmd.Name): help describes -$name, which the cmdlet does not have") }
    }
    if ($problems.Count) { continue }

    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)

    $w.WriteStartElement('command', 'details', $ns.command)
    $w.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
    Write-Paras 'maml' 'description' $help.Synopsis
    $w.WriteEndElement()

    Write-Paras 'maml' 'description' $help.Description

    $w.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $ns.command)
        $w.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($sp in $set.Parameters | Where-Object { $_.Name -notin $common -or $shouldProcess.ContainsKey($_.Name) }) {
            $full = $cmd.Parameters[$sp.Name]
            $sp | Add-Member -NotePropertyName ParameterSetName -NotePropertyValue $set.Name -Force
            Write-Parameter $full $sp $(if ($shouldProcess.ContainsKey($sp.Name)) { $shouldProcess[$sp.Name] } else { $help.Parameters[$sp.Name] })
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $own | Sort-Object Name) { Write-Parameter $p $null $help.Parameters[$p.Name] }
    foreach ($name in 'WhatIf', 'Confirm') {
        if ($cmd.Parameters.ContainsKey($name)) { Write-Parameter $cmd.Parameters[$name] $null $shouldProcess[$name] }
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'inputTypes', $ns.command)
    foreach ($item in @($help.Inputs)) {
        $w.WriteStartElement('command', 'inputType', $ns.command)
        Write-Type $item.Type
        Write-Paras 'maml' 'description' $item.Description
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'returnValues', $ns.command)
    foreach ($item in @($help.Outputs)) {
        $w.WriteStartElement('command', 'returnValue', $ns.command)
        Write-Type $item.Type
        Write-Paras 'maml' 'description' $item.Description
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    if ($help.ContainsKey('Notes') -and $help.Notes) {
        $w.WriteStartElement('maml', 'alertSet', $ns.maml)
        Write-Paras 'maml' 'alert' $help.Notes
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $ns.command)
    $i = 0
    foreach ($example in @($help.Examples)) {
        $i++
        $w.WriteStartElement('command', 'example', $ns.command)
        $w.WriteElementString('maml', 'title', $ns.maml, "-------------------------- Example ${i}: $($example.Title) --------------------------")
        $w.WriteElementString('dev', 'code', $ns.dev, $example.Code.Trim())
        Write-Paras 'dev' 'remarks' $example.Remarks
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $ns.command)
    foreach ($link in @($help['Links'] | Where-Object { $_ })) {
        $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $w.WriteElementString('maml', 'linkText', $ns.maml, $link)
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteEndElement()
}

$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()

Get-ChildItem $HelpSource -Filter 'about_*.help.txt' | Copy-Item -Destination $OutDirectory

if ($problems.Count) {
    $problems | ForEach-Object { Write-Host "help: $_" }
    exit 1
}
Write-Host "Help written to $helpFile"
