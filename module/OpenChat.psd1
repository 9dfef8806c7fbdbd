@{
    RootModule           = 'OpenChat.Cmdlets.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '8e399c0e-01e9-4097-a531-3980665baf32'
    Author               = 'OpenChat contributors'
    CompanyName          = 'OpenChat'
    Copyright            = '(c) OpenChat contributors.'
    Description          = 'End-to-end encrypted group chat with its own certificate authority: create a CA, issue certificates and invites, revoke them and export CRLs from PowerShell.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('OpenChat.Format.ps1xml')
    CmdletsToExport      = @(
        'New-ChatCertificateAuthority'
        'Get-ChatCertificateAuthority'
        'New-ChatCertificate'
        'Get-ChatCertificate'
        'Revoke-ChatCertificate'
        'Export-ChatRevocationList'
        'New-ChatInvite'
        'Get-ChatInvite'
        'Revoke-ChatInvite'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('chat', 'encryption', 'e2ee', 'pki', 'certificate-authority', 'tls')
            ReleaseNotes = 'Certificate authority: CA creation, client and server certificates, CSR signing with policy, revocation and CRLs, enrollment invites.'
        }
    }
}
