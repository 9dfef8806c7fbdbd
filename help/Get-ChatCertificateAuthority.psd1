@{
    Synopsis    = 'Gets the certificate authority in an OpenChat data directory.'
    Description = @'
Reads the root certificate (ca.crt.pem) of the CA in a data directory and returns its name, path, key algorithm, validity, whether the private key is encrypted, and the SHA-256 fingerprint of the root certificate.

The command does not load or decrypt the CA private key, so it never asks for a password. It only checks that the directory holds a complete CA (ca.crt.pem, ca.key.pem and openchat.db); if any of them is missing it writes a CaNotFound error for that path and continues with the next one.

-Path binds from the pipeline by property name, so the output of New-ChatCertificateAuthority, or any object with a Path property that names a data directory, can be piped in.
'@
    Parameters  = @{
        Path = 'The data directory of the server. Relative paths are resolved against the current location; ~ is expanded. Accepts pipeline input by property name (Path).'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects with a Path property (for example the output of New-ChatCertificateAuthority), bound to -Path by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatCertificateAuthority'; Description = 'The CA: Name, Path, Fingerprint, NotBefore, NotAfter, KeyAlgorithm, KeyEncrypted, CertificatePath and the root Certificate (an X509Certificate2 without private key).' }
    )
    Notes       = @'
The Fingerprint property is SHA-256 over the DER encoding of the root certificate, written as colon-separated upper-case hex. It is the value that invites carry. To check it independently: openssl x509 -in <Path>/ca.crt.pem -noout -fingerprint -sha256

Replacing the CA with New-ChatCertificateAuthority -Force changes the fingerprint: invites created before that carry the old one and can no longer be used.
'@
    Examples    = @(
        @{
            Title   = 'Show the CA of a data directory'
            Code    = 'Get-ChatCertificateAuthority -Path ./chat'
            Remarks = 'Shows the name, key algorithm, expiry and fingerprint of the CA in ./chat.'
        }
        @{
            Title   = 'Compare the fingerprint with the one OpenSSL computes'
            Code    = @'
$ca = Get-ChatCertificateAuthority ./chat
$openssl = (openssl x509 -in $ca.CertificatePath -noout -fingerprint -sha256) -replace '^.*=', ''
$ca.Fingerprint -eq $openssl
'@
            Remarks = 'Returns True when the fingerprint reported by OpenChat matches the one OpenSSL computes from ca.crt.pem.'
        }
        @{
            Title   = 'Warn when a CA expires within a year'
            Code    = @'
Get-ChatCertificateAuthority /srv/chat |
    Where-Object NotAfter -lt (Get-Date).AddDays(365) |
    ForEach-Object { Write-Warning "CA '$($_.Name)' expires on $($_.NotAfter)" }
'@
            Remarks = 'Certificates issued by the CA never outlive it, so an expiring CA needs to be planned for ahead of time.'
        }
    )
    Links       = @('New-ChatCertificateAuthority', 'New-ChatCertificate', 'Export-ChatRevocationList', 'about_OpenChat')
}
