#Requires -Version 7.6
# Every exported cmdlet has real help; the manifest is valid and explicit.

BeforeDiscovery {
    Import-Module $env:OPENCHAT_MODULE -Force
    $cmdletNames = @((Get-Module OpenChat).ExportedCmdlets.Keys | Sort-Object)
}

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    $commonParameters = [Management.Automation.PSCmdlet]::CommonParameters + [Management.Automation.PSCmdlet]::OptionalCommonParameters
    function Join-HelpText($Value) { (@($Value) | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n" }
}

Describe 'The module exports the certificate authority cmdlets' {
    It 'exports every CA cmdlet' {
        $exported = (Get-Module OpenChat).ExportedCmdlets.Keys
        foreach ($name in 'New-ChatCertificateAuthority', 'Get-ChatCertificateAuthority', 'New-ChatCertificate',
            'Get-ChatCertificate', 'Revoke-ChatCertificate', 'Export-ChatRevocationList', 'New-ChatInvite',
            'Get-ChatInvite', 'Revoke-ChatInvite') {
            $exported | Should -Contain $name
        }
    }
}

Describe 'Help for <_>' -ForEach $cmdletNames {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
    }

    It 'has a synopsis that is not the generated syntax' {
        $synopsis = ([string]$help.Synopsis).Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -BeLike "$name *"
        $synopsis | Should -Not -Match '<CommonParameters>'
        $synopsis.Length | Should -BeGreaterThan 10
    }

    It 'has a description' {
        (Join-HelpText $help.Description).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $parameters = $command.Parameters.Keys | Where-Object { $_ -notin $commonParameters }
        $parameters | Should -Not -BeNullOrEmpty
        foreach ($parameter in $parameters) {
            $entry = @($help.Parameters.Parameter) | Where-Object Name -EQ $parameter
            $entry | Should -Not -BeNullOrEmpty -Because "-$parameter of $name must appear in the help"
            (Join-HelpText $entry.Description).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs a description"
        }
    }

    It 'has at least two examples, each with code' {
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            ([string]$example.Code).Trim() | Should -Not -BeNullOrEmpty -Because "every example of $name needs code"
        }
        ($examples | Where-Object { ([string]$_.Code) -match [regex]::Escape($name) }) | Should -Not -BeNullOrEmpty -Because "an example of $name should use it"
    }
}

Describe 'Conceptual help' {
    It 'has about_OpenChat' {
        $about = Get-Help about_OpenChat -ErrorAction Stop | Out-String
        $about | Should -Match 'OpenChat'
        $about | Should -Match 'New-ChatCertificateAuthority'
        $about.Length | Should -BeGreaterThan 500
    }
}

Describe 'The module manifest' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $env:OPENCHAT_MODULE -ErrorAction Stop
        $info.Name | Should -Be 'OpenChat'
        $info.Version | Should -BeGreaterThan ([version]'0.0')
    }

    It 'lists CmdletsToExport explicitly, without wildcards' {
        $data = Import-PowerShellDataFile -LiteralPath $env:OPENCHAT_MODULE
        $data.Keys | Should -Contain 'CmdletsToExport'
        $list = @($data.CmdletsToExport)
        $list.Count | Should -BeGreaterOrEqual 9
        $list | ForEach-Object { $_ | Should -Not -Match '[*?]' }
        foreach ($key in 'FunctionsToExport', 'AliasesToExport', 'VariablesToExport') {
            @($data[$key]) | ForEach-Object { $_ | Should -Not -Match '[*?]' -Because "$key must be explicit" }
        }
    }

    It 'exports exactly the cmdlets it lists' {
        $data = Import-PowerShellDataFile -LiteralPath $env:OPENCHAT_MODULE
        ((Get-Module OpenChat).ExportedCmdlets.Keys | Sort-Object) | Should -Be (@($data.CmdletsToExport) | Sort-Object)
    }
}
