# Shared helpers for the Pester suite. Dot-source in BeforeAll (after importing the module):
#   BeforeAll { Import-Module $env:OPENCHAT_MODULE -Force; . "$PSScriptRoot/TestHelpers.ps1" }
# Not a *.Tests.ps1 file, so Invoke-Pester does not run it on its own.



# A fresh, not yet existing data directory under the Describe's TestDrive (Pester removes it).
function New-TestDirectoryPath {
    param([string] $Prefix = 'ca')
    Join-Path $TestDrive ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
}

# Creates a CA in a fresh directory and returns the directory.
function New-TestCa {
    param(
        [string] $Name = 'Test CA',
        [securestring] $Password,
        [string] $KeyAlgorithm = 'P256',
        [int] $ValidDays = 0,
        # Also install a server certificate (invites name the server's key, so they need one).
        [switch] $WithServer
    )
    $dir = New-TestDirectoryPath
    $params = @{ Path = $dir; Name = $Name; KeyAlgorithm = $KeyAlgorithm; ErrorAction = 'Stop' }
    if ($Password) { $params.Password = $Password }
    if ($ValidDays -gt 0) { $params.ValidDays = $ValidDays }
    $null = New-ChatCertificateAuthority @params
    if ($WithServer) {
        $serverParams = @{ Path = $dir; Server = $true; DnsName = 'localhost'; IPAddress = '127.0.0.1'; ErrorAction = 'Stop' }
        if ($Password) { $serverParams.CAPassword = $Password }
        $null = New-ChatCertificate @serverParams
    }
    $dir
}

function ConvertTo-TestSecureString([string] $Text) {
    ConvertTo-SecureString -String $Text -AsPlainText -Force
}

# Since issue 11 a key made by New-ChatCertificate must go to a file (-OutDirectory or -OutFile).
# Suites that issue certificates as a means, not to test where keys go, assign this in BeforeAll:
#   $PSDefaultParameterValues = Get-TestKeyOutputDefaults
# Each call gets a folder of its own under TestDrive, so the same user name can be issued again.
function Get-TestKeyOutputDefaults {
    @{
        'New-ChatCertificate:OutDirectory' = { Join-Path $TestDrive ('keys-' + [guid]::NewGuid().ToString('N').Substring(0, 12)) }
        'New-ChatCertificate:Password'     = (ConvertTo-TestSecureString 'test-pfx-password')
    }
}

# Runs a script block with ErrorActionPreference Stop and returns the first error record it
# produced (terminating or not), or $null when it succeeded.
function Get-ChatErrorRecord {
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock)
    $ErrorActionPreference = 'Stop'
    try {
        $null = & $ScriptBlock
    }
    catch {
        return $_
    }
    return $null
}

# The stable part of a FullyQualifiedErrorId ("<ErrorId>,<command type>").
function Get-ErrorId($ErrorRecord) {
    if ($null -eq $ErrorRecord) { return $null }
    ($ErrorRecord.FullyQualifiedErrorId -split ',')[0]
}

# Runs /usr/bin/openssl; returns its exit code and combined output as one string.
function Invoke-OpenSsl {
    $output = & '/usr/bin/openssl' @args 2>&1 | ForEach-Object { "$_" }
    [pscustomobject]@{
        ExitCode = $LASTEXITCODE
        Output   = ($output -join "`n")
    }
}

# Writes the public certificate of an X509Certificate2 as PEM and returns the file path.
function Export-TestCertificatePem {
    param(
        [Parameter(Mandatory)] $Certificate,
        [Parameter(Mandatory)] [string] $Path
    )
    Set-Content -LiteralPath $Path -Value $Certificate.ExportCertificatePem() -NoNewline
    $Path
}

# Makes a CSR with openssl and returns the PEM file path.
function New-TestCsr {
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [string] $Subject,
        [string] $Name = ('req-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
        [string[]] $NewKey = @('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'),
        [string[]] $AddExt = @()
    )
    $null = New-Item -ItemType Directory -Force -Path $Directory
    $key = Join-Path $Directory "$Name.key.pem"
    $csr = Join-Path $Directory "$Name.csr"
    $arguments = @('req', '-new') + $NewKey + @('-nodes', '-keyout', $key, '-out', $csr, '-subj', $Subject)
    foreach ($ext in $AddExt) { $arguments += @('-addext', $ext) }
    $result = Invoke-OpenSsl @arguments
    if ($result.ExitCode -ne 0) { throw "openssl req failed: $($result.Output)" }
    $csr
}

# The serial as hex without separators or leading zeros, upper case.
function Format-TestSerial([string] $Serial) {
    ($Serial -replace '[:\s-]', '').ToUpperInvariant().TrimStart('0')
}

# Every certificate the store holds, whatever its kind or status.
function Get-AllChatCertificates([string] $Path) {
    @(Get-ChatCertificate -Path $Path -ErrorAction Stop)
}
