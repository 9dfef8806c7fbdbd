#Requires -Version 7.6
<#
.SYNOPSIS
    The main job, end to end, against a fresh CA in a temporary directory (cleaned up after).
    For now: a CA, a server certificate, three users issued from a CSV through the pipeline,
    one revoked, the CRL verified by OpenSSL, and an invite.
#>
[CmdletBinding()]
param([Parameter(Mandatory)] [string] $ModuleManifest)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest

function Step([string] $Text) { Write-Host "`n>> $Text" -ForegroundColor Cyan }

$work = Join-Path ([IO.Path]::GetTempPath()) "openchat-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
$data = Join-Path $work 'chat'
try {
    Step "New-ChatCertificateAuthority -Path $data -Name 'Demo CA'"
    New-ChatCertificateAuthority -Path $data -Name 'Demo CA' | Format-List | Out-Host

    Step 'New-ChatCertificate -Server -DnsName localhost -IPAddress 127.0.0.1'
    New-ChatCertificate -Path $data -Server -DnsName localhost -IPAddress 127.0.0.1 | Format-Table | Out-Host

    Step 'Import-Csv users.csv | New-ChatCertificate -Path $data'
    $csv = Join-Path $work 'users.csv'
    @('UserName', 'alice', 'bob', 'carol') | Set-Content $csv
    Get-Content $csv | Out-Host
    Import-Csv $csv | New-ChatCertificate -Path $data | Format-Table | Out-Host

    Step 'Revoke-ChatCertificate -UserName bob -Reason KeyCompromise'
    Revoke-ChatCertificate -Path $data -UserName bob -Reason KeyCompromise -Confirm:$false -PassThru | Format-Table | Out-Host

    Step 'Get-ChatCertificate (all)'
    Get-ChatCertificate -Path $data | Format-Table | Out-Host

    Step 'Export-ChatRevocationList, then openssl crl -verify'
    $crl = Export-ChatRevocationList -Path $data
    $crl | Format-List | Out-Host
    $openssl = Get-Command openssl -ErrorAction SilentlyContinue
    if ($openssl) {
        & $openssl crl -in $crl.Path -CAfile (Join-Path $data 'ca.crt.pem') -noout -verify -text 2>&1 | Out-Host
        $alice = Get-ChatCertificate -Path $data -UserName alice
        $pem = Join-Path $work 'alice.crt.pem'
        Set-Content $pem $alice.Certificate.ExportCertificatePem()
        Step 'openssl verify -CAfile ca.crt.pem alice.crt.pem'
        & $openssl verify -CAfile (Join-Path $data 'ca.crt.pem') $pem 2>&1 | Out-Host
    }
    else {
        Write-Host '(openssl not found: skipping the OpenSSL checks)'
    }

    Step 'New-ChatInvite -UserName dave'
    New-ChatInvite -Path $data -UserName dave -ValidFor (New-TimeSpan -Hours 24) | Format-List | Out-Host

    Write-Host "`nDemo finished." -ForegroundColor Green
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
