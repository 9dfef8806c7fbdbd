@{
    Synopsis    = 'Creates an OpenChat certificate authority and its data directory.'
    Description = @'
Creates the server's data directory (owner-only, mode 0700), an ECDSA P-256 or P-384 CA key, a self-signed root certificate (ca.crt.pem) and the SQLite store (openchat.db) that records every certificate and invite the CA issues.

The CA key is written as PKCS#8 PEM (ca.key.pem) with file mode 0600. When -Password is given it is encrypted (PBES2: PBKDF2-SHA256 with 600,000 iterations, AES-256-CBC), and every command that signs with the CA then needs -CAPassword.

An existing CA is never overwritten by accident: the command fails unless -Force is given, and then asks for confirmation (pass -Confirm:$false in scripts). The replaced CA's files are moved into a replaced-<timestamp> subdirectory, not deleted.
'@
    Parameters  = @{
        Path         = 'The data directory of the server. Created if it does not exist.'
        Name         = 'The name of the CA; it becomes the common name (CN) of the root certificate. 1 to 64 printable characters.'
        Password     = 'Encrypts the CA private key at rest. Keep it safe: without it the CA cannot issue certificates or sign revocation lists.'
        ValidDays    = 'How long the root certificate is valid, in days (default 3650). Every certificate the CA issues ends no later than this.'
        KeyAlgorithm = 'The curve of the CA key: P256 (default) or P384.'
        Force        = 'Replaces an existing CA in -Path after confirmation. Every certificate and invite of the old CA stops working.'
    }
    Inputs      = @(
        @{ Type = 'None'; Description = 'This cmdlet does not take pipeline input.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatCertificateAuthority'; Description = 'The new CA: name, path, key algorithm, whether the key is encrypted, validity and SHA-256 fingerprint. It never contains the private key.' }
    )
    Notes       = 'The fingerprint is what invites carry and clients pin. Compare it with: openssl x509 -in <Path>/ca.crt.pem -noout -fingerprint -sha256'
    Examples    = @(
        @{
            Title   = 'Create a CA for a team'
            Code    = 'New-ChatCertificateAuthority -Path ./chat -Name "Team chat CA"'
            Remarks = 'Creates ./chat with a P-256 CA valid for ten years. The key is unencrypted but readable only by you.'
        }
        @{
            Title   = 'Create a CA whose key is encrypted'
            Code    = @'
$password = Read-Host -AsSecureString -Prompt 'CA password'
New-ChatCertificateAuthority -Path /srv/chat -Name 'Ops CA' -Password $password -KeyAlgorithm P384 -ValidDays 1825
'@
            Remarks = 'Creates a P-384 CA valid for five years whose private key is encrypted with the password.'
        }
        @{
            Title   = 'Replace an existing CA from a script'
            Code    = 'New-ChatCertificateAuthority -Path ./chat -Name "Team chat CA" -Force -Confirm:$false'
            Remarks = 'The old CA files move to ./chat/replaced-<timestamp>/; all old certificates become untrusted.'
        }
    )
    Links       = @('Get-ChatCertificateAuthority', 'New-ChatCertificate', 'about_OpenChat')
}
