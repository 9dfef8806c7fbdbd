#Requires -Version 7.6
<#
.SYNOPSIS
    The main job, end to end, against a fresh CA in a temporary directory (cleaned up after).
    A CA, a server certificate, three users issued from a CSV through the pipeline into one
    password-protected PKCS#12 each, one revoked, the CRL verified by OpenSSL; then a live server,
    two users enrolled through invites and one from her PKCS#12, a short end-to-end encrypted
    conversation with each table labelled by whose view it is and every message whole, proof that
    the server stored only ciphertext, and a revocation that locks a user out at once.
#>
[CmdletBinding()]
param([Parameter(Mandatory)] [string] $ModuleManifest)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest

function Step([string] $Text) { Write-Host "`n>> $Text" -ForegroundColor Cyan }

# What one user's session shows, labelled with whose view it is. Messages are one line each
# with the whole text (a table would cut the Text column at the window's edge, or break it
# mid-word); other objects are tables sized to their contents.
function Show-View([string] $Who, [string] $What, $Objects) {
    Write-Host "${Who}'s view ($What):" -ForegroundColor Yellow
    $messages = @($Objects | Where-Object { $_ -is [OpenChat.ChatMessage] })
    if ($messages.Count -gt 0) {
        foreach ($m in $messages) {
            # The same marks and neutralising as the ChatMessage table view: text from another person.
            $state = if (-not $m.Verified) { 'REFUSED' } elseif ($m.SenderTrust -eq 'Verified') { 'verified' } elseif ($m.SenderTrust -eq 'Changed') { 'KEY CHANGED' } else { 'signed' }
            $text = [OpenChat.Engine.TerminalText]::Neutralise($(if ($m.Verified) { $m.Text } else { $m.Problem }))
            Write-Host ('  {0:HH:mm:ss}  {1,-12} {2,-8} {3,-9} {4}' -f $m.Time.LocalDateTime, [OpenChat.Engine.TerminalText]::Neutralise($m.Room),
                [OpenChat.Engine.TerminalText]::Neutralise($m.Sender), $state, $text)
        }
        Write-Host ''
        return
    }
    $Objects | Format-Table -AutoSize -Wrap | Out-String -Width 200 | Out-Host
}

$work = Join-Path ([IO.Path]::GetTempPath()) "openchat-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
$data = Join-Path $work 'chat'
try {
    Step "New-ChatCertificateAuthority -Path $data -Name 'Demo CA'"
    New-ChatCertificateAuthority -Path $data -Name 'Demo CA' | Format-List | Out-Host

    Step 'New-ChatCertificate -Server -DnsName localhost -IPAddress 127.0.0.1'
    New-ChatCertificate -Path $data -Server -DnsName localhost -IPAddress 127.0.0.1 | Format-Table | Out-Host

    Step 'Import-Csv users.csv | New-ChatCertificate -Path $data -OutDirectory ./certs -Password $pfxPassword'
    $csv = Join-Path $work 'users.csv'
    @('UserName', 'alice', 'bob', 'carol') | Set-Content $csv
    Get-Content $csv | Out-Host
    # A demo runs unattended; by hand the password comes from Read-Host -AsSecureString.
    $pfxPassword = ConvertTo-SecureString ([guid]::NewGuid().ToString('N')) -AsPlainText -Force
    $certs = Join-Path $work 'certs'
    Import-Csv $csv | New-ChatCertificate -Path $data -OutDirectory $certs -Password $pfxPassword | Format-Table UserName, Serial, @{ n = 'OutFile'; e = { Split-Path -Leaf $_.OutFile } } | Out-Host

    Step 'Revoke-ChatCertificate -UserName bob -Reason KeyCompromise'
    Revoke-ChatCertificate -Path $data -UserName bob -Reason KeyCompromise -Confirm:$false -PassThru | Format-Table | Out-Host

    Step 'Get-ChatCertificate (all)'
    Get-ChatCertificate -Path $data | Format-Table | Out-Host

    Step 'Export-ChatRevocationList, then openssl crl -verify'
    $crl = Export-ChatRevocationList -Path $data
    $crl | Format-List | Out-Host
    $openssl = Get-Command openssl -ErrorAction SilentlyContinue
    if ($openssl) {
        & $openssl crl -in $crl.FilePath -CAfile (Join-Path $data 'ca.crt.pem') -noout -verify -text 2>&1 | Out-Host
        $alice = Get-ChatCertificate -Path $data -UserName alice
        $pem = Join-Path $work 'alice.crt.pem'
        Set-Content $pem $alice.Certificate.ExportCertificatePem()
        Step 'openssl verify -CAfile ca.crt.pem alice.crt.pem'
        & $openssl verify -CAfile (Join-Path $data 'ca.crt.pem') $pem 2>&1 | Out-Host
    }
    else {
        Write-Host '(openssl not found: skipping the OpenSSL checks)'
    }

    Step 'Start-ChatServer -Path $data -Port 0 (a free port on 127.0.0.1)'
    $server = Start-ChatServer -Path $data -Port 0
    $server | Format-Table | Out-Host

    Step 'New-ChatInvite for dave and erin; each enrolls with Register-ChatUser (key made locally, CA pinned)'
    $profiles = Join-Path $work 'profiles'
    $identities = 'dave', 'erin' | New-ChatInvite -Path $data -Server "127.0.0.1:$($server.Port)" |
        ForEach-Object { Register-ChatUser -Invite $_.Invite -ProfilePath $profiles }
    $identities | Format-Table | Out-Host

    Step 'Register-ChatUser -Certificate ./certs/carol.pfx: the PKCS#12 issued above becomes an identity, pinned to the CA inside it'
    Register-ChatUser -Certificate (Join-Path $certs 'carol.pfx') -Server "127.0.0.1:$($server.Port)" -CertificatePassword $pfxPassword -ProfilePath $profiles | Format-Table | Out-Host

    Step 'New-ChatRoom ops as dave (rooms are created on purpose), Connect-ChatRoom -Room ops as erin; Get-ChatRoomMember shows presence'
    $dave = Connect-ChatRoom -Identity $identities[0].Path
    New-ChatRoom -Name ops -Session $dave | Format-Table | Out-Host
    $erin = Connect-ChatRoom -Room ops -Identity $identities[1].Path
    Show-View dave 'Get-ChatRoomMember -Room ops' (Get-ChatRoomMember -Session $dave -Room ops)
    Show-View dave 'Join-ChatRoom -User erin' (Join-ChatRoom -Session $dave -User erin)
    Show-View erin 'Get-ChatRoom' (Get-ChatRoom -Session $erin)

    Step 'An end-to-end encrypted conversation, as each user sees it'
    'Morning! Deploy at 10?', 'Release notes are in the wiki.' | Send-ChatMessage -Session $dave -Room ops
    Show-View erin 'Receive-ChatMessage -Room ops' (Receive-ChatMessage -Session $erin -Room ops -Wait -Count 2 -Timeout 20)
    'Sounds good - I will watch the dashboards.' | Send-ChatMessage -Session $erin -Room ops
    $seenByDave = Receive-ChatMessage -Session $dave -Room ops -Wait -Count 3 -Timeout 20
    Show-View dave 'Receive-ChatMessage -Room ops: his own two and erin''s reply' $seenByDave
    Send-ChatMessage -Session $dave -To erin -Message 'Thanks for covering on-call.'
    Show-View erin 'Receive-ChatMessage -Room @*: the direct message' (Receive-ChatMessage -Session $erin -Room '@*' -Wait -Count 1 -Timeout 20)

    Step 'Safety numbers: both sides compute the same; dave confirms erin after comparing'
    $fromDave = (Get-ChatContact -Session $dave erin).SafetyNumber
    $fromErin = (Get-ChatContact -Session $erin dave).SafetyNumber
    Write-Host "dave sees: $fromDave"
    Write-Host "erin sees: $fromErin"
    if ($fromDave -ne $fromErin) { throw 'safety numbers differ' }
    Show-View dave 'Confirm-ChatContact erin' (Confirm-ChatContact -Session $dave erin -Confirm:$false -PassThru)

    Step 'The server stored only ciphertext: no sentence above appears in any of its files'
    foreach ($file in Get-ChildItem $data -File | Where-Object Extension -ne '.lock') {
        $stream = [IO.File]::Open($file.FullName, 'Open', 'Read', 'ReadWrite, Delete')
        try {
            $buffer = [byte[]]::new($stream.Length); [void]$stream.Read($buffer, 0, $buffer.Length)
        }
        catch { $buffer = [byte[]]::new(0) }
        finally { $stream.Dispose() }
        $text = [Text.Encoding]::UTF8.GetString($buffer)
        $found = 'Deploy at 10', 'dashboards', 'on-call' | Where-Object { $text.Contains($_) }
        "{0,-16} {1,9:N0} bytes  plaintext found: {2}" -f $file.Name, $buffer.Length, $(if ($found) { $found -join ', ' } else { 'none' }) | Out-Host
        if ($found) { throw "plaintext found in $($file.Name)" }
    }

    Step 'Revoke-ChatCertificate -UserName erin: her live session is closed, her reconnect refused'
    Revoke-ChatCertificate -Path $data -UserName erin -Reason AffiliationChanged -Confirm:$false
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ($erin.State -ne 'Closed' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
    Show-View erin 'her session' $erin
    try {
        Disconnect-ChatRoom -Session $erin
        Connect-ChatRoom -Identity $identities[1].Path -ErrorAction Stop | Out-Null
        throw 'a revoked identity was able to reconnect'
    }
    catch {
        Write-Host "Reconnect refused: $($_.FullyQualifiedErrorId.Split(',')[0]) - $($_.Exception.Message)"
    }
    'erin can no longer read this' | Send-ChatMessage -Session $dave -Room ops
    $after = Receive-ChatMessage -Session $dave -Room ops -Wait -Count 1 -Timeout 20
    Write-Host "Before the revocation the room was in epoch $($seenByDave[-1].Epoch); dave's next message went out in epoch $($after.Epoch), whose key was never given to erin."
    if ($after.Epoch -le $seenByDave[-1].Epoch) { throw 'the revoked member was not removed before the next message' }

    Step 'Get-ChatServer'
    Get-ChatServer | Format-List Endpoint, State, Connections, Rooms, MessagesStored, CaFingerprint | Out-Host
    Disconnect-ChatRoom -All
    Stop-ChatServer -All -Confirm:$false

    Write-Host "`nDemo finished." -ForegroundColor Green
}
finally {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
