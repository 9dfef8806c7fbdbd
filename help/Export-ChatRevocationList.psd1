@{
    Synopsis    = 'Signs and writes a certificate revocation list (CRL) for an OpenChat certificate authority.'
    Description = @'
Builds an X.509 version 2 CRL that lists every certificate the CA has revoked, with its revocation time and reason, signs it with the CA private key and writes it to a file: ca.crl.pem in the data directory unless -OutFile names another. An existing file is replaced atomically.

Each list carries a CRL number one higher than the previous list of this CA, an authority key identifier, a thisUpdate time (now) and a nextUpdate time (now plus -ValidDays). Tools that check revocation treat the list as stale after nextUpdate, so export a new one before then, and every time a certificate is revoked.

The list is written as PEM (-----BEGIN X509 CRL-----) by default or as DER with -Encoding Der. Either form can be read by standard tools such as OpenSSL.

Signing needs the CA private key, so -CAPassword is required when the key is encrypted.
'@
    Parameters  = @{
        Path       = 'The data directory of the server that holds the CA.'
        OutFile    = 'Where to write the list. The default is ca.crl.pem in the data directory. An existing file is replaced.'
        Encoding   = 'The file format: Pem (default) or Der.'
        ValidDays  = 'Days until the list''s nextUpdate time, from 1 to 366. The default is 7.'
        CAPassword = 'The password of the CA private key, needed when the CA was created with -Password (CaPasswordRequired, CaPasswordWrong).'
    }
    Inputs      = @(
        @{ Type = 'None'; Description = 'This cmdlet does not take pipeline input.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatRevocationList'; Description = 'The list just written: Number, ThisUpdate, NextUpdate, RevokedCount, RevokedSerials and FilePath (the file written).' }
    )
    Notes       = @'
A CRL holds no secrets, so unlike the CA's other files it is written with the usual file mode and can be served as it is (the data directory itself stays 0700).

A list is written even when no certificate is revoked: an empty list is still a signed statement that nothing is revoked.

Error ids: CaNotFound, CaPasswordRequired, CaPasswordWrong, CaKeyInvalid, ValidityInvalid, StoreUnavailable.
'@
    Examples    = @(
        @{
            Title   = 'Write the revocation list and check it with OpenSSL'
            Code    = @'
Export-ChatRevocationList -Path ./chat
openssl crl -in ./chat/ca.crl.pem -CAfile ./chat/ca.crt.pem -noout -verify -text
'@
            Remarks = 'Writes ./chat/ca.crl.pem. OpenSSL prints "verify OK", the CRL number and every revoked serial with its date and reason code.'
        }
        @{
            Title   = 'Revoke a user and publish a new list in one step'
            Code    = @'
Revoke-ChatCertificate ./chat -UserName bob -Reason AffiliationChanged -Confirm:$false
Export-ChatRevocationList ./chat -CAPassword $caPassword -ValidDays 1
'@
            Remarks = 'The new list includes Bob''s certificates and must be replaced within a day, for example by a scheduled task.'
        }
        @{
            Title   = 'Write a DER list to another location'
            Code    = @'
Export-ChatRevocationList ./chat -OutFile /var/www/pki/openchat.crl -Encoding Der
openssl crl -inform DER -in /var/www/pki/openchat.crl -noout -nextupdate
'@
            Remarks = 'Writes the list in DER form, the form usually published over HTTP, and shows when it must be renewed.'
        }
        @{
            Title   = 'Check that a certificate is revoked with OpenSSL'
            Code    = @'
Export-ChatRevocationList ./chat | Select-Object Number, RevokedCount, NextUpdate
openssl verify -crl_check -CAfile ./chat/ca.crt.pem -CRLfile ./chat/ca.crl.pem bob.crt.pem
'@
            Remarks = 'For a revoked certificate OpenSSL reports "certificate revoked".'
        }
    )
    Links       = @('Revoke-ChatCertificate', 'Get-ChatCertificate', 'Get-ChatCertificateAuthority', 'about_OpenChat')
}
