@{
    RootModule           = 'OpenChat.Cmdlets.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '8e399c0e-01e9-4097-a531-3980665baf32'
    Author               = 'OpenChat contributors'
    CompanyName          = 'OpenChat'
    Copyright            = '(c) OpenChat contributors.'
    Description          = 'End-to-end encrypted group chat with its own certificate authority: create a CA, issue certificates and invites, revoke them, run a mutual-TLS chat server with durable rooms, enroll users, and send and receive end-to-end encrypted messages from PowerShell.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('OpenChat.Format.ps1xml')
    CmdletsToExport      = @(
        'New-ChatCertificateAuthority'
        'Get-ChatCertificateAuthority'
        'New-ChatCertificate'
        'Get-ChatCertificate'
        'Revoke-ChatCertificate'
        'Update-ChatCertificateAuthority'
        'Export-ChatRevocationList'
        'New-ChatInvite'
        'Get-ChatInvite'
        'Revoke-ChatInvite'
        'Start-ChatServer'
        'Stop-ChatServer'
        'Backup-ChatServer'
        'Restore-ChatServer'

        'Test-ChatServer'
        'Get-ChatServer'
        'Register-ChatUser'
        'Get-ChatIdentity'
        'Connect-ChatRoom'
        'Disconnect-ChatRoom'
        'Get-ChatRoom'
        'Get-ChatRoomMember'
        'Add-ChatRoomMember'
        'Remove-ChatRoomMember'
        'Set-ChatRoomMember'
        'Join-ChatRoom'
        'New-ChatRoom'
        'Exit-ChatRoom'
        'Get-ChatSession'
        'Send-ChatMessage'
        'Receive-ChatMessage'
        'Send-ChatFile'
        'Save-ChatFile'
        'Get-ChatMessage'
        'Get-ChatContact'
        'Confirm-ChatContact'
        'Enter-ChatRoom'
        'Update-ChatIdentity'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            # MIT (LICENSE at the root and in the package). No public project home yet, so no ProjectUri.
            LicenseUri   = 'https://spdx.org/licenses/MIT.html'
            Tags         = @('chat', 'encryption', 'e2ee', 'pki', 'certificate-authority', 'tls', 'PSEdition_Core', 'Linux', 'MacOS', 'Windows')
            ReleaseNotes = 'Certificate authority (CA, certificates, CSR policy, revocation, CRLs, invites); chat server (TLS 1.3 mutual auth, enrollment by invite, rooms, direct conversations, presence, durable gap-free history, resume and deduplication); end-to-end encryption (epochs, hash ratchets, Fernet, signed envelopes, safety numbers).'
        }
    }
}
