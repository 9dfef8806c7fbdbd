@{
    Synopsis    = 'Lists the certificates an OpenChat certificate authority has issued.'
    Description = @'
Reads the certificate records in the data directory's store (openchat.db) and returns one object per certificate, client and server, with its current status: Valid, Revoked or Expired. Revoked takes precedence over Expired.

Without filters every certificate is returned. The filters combine: a certificate is returned only when it passes every filter that is given. -UserName matches client certificates only (case-insensitive, wildcards allowed), so it never returns the server certificate. -Serial accepts serial numbers in upper or lower case, with or without colons, spaces or dashes.

The command does not use the CA private key and never asks for the CA password.

-ExpiringWithin returns only certificates (user and server) that are valid now and expire within the span, soonest first: the list to act on before something stops working. Start-ChatServer warns about the same for 30 days, and Get-ChatServer counts the user certificates among them.

-UserName and -Serial bind from the pipeline by property name, so objects with a UserName or Serial property (for example the output of New-ChatCertificate or Get-ChatInvite) can be piped in.
'@
    Parameters  = @{
        Path     = 'The data directory of the server that holds the CA. By default, that of the chat server running in this session (Start-ChatServer); with none or several running, -Path is required.'
        UserName = 'Returns only client certificates whose user name matches one of these names. Matching is case-insensitive and wildcards (*, ?, [a-z]) are allowed. Alias: User. Accepts pipeline input by property name.'
        Serial   = 'Returns only the certificates with these serial numbers (hexadecimal; case, colons, spaces and dashes are ignored). A value that is not hexadecimal is reported as a non-terminating SerialInvalid error and skipped. Accepts pipeline input by property name.'
        Status   = 'Returns only certificates whose current status is one of these: Valid, Revoked, Expired.'
        Kind     = 'Returns only Client or only Server certificates.'
        ExpiringWithin = 'Returns only certificates that are valid now (not revoked, not expired) and expire within this span from now, soonest first. Give a TimeSpan (''30.00:00:00'', (New-TimeSpan -Hours 12)) or a short form: a whole number followed by w (weeks), d (days), h (hours), m (minutes) or s (seconds), such as 30d, 12h or 10m. A negative span is refused with ValidityInvalid.'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects with UserName or Serial properties, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatCertificate'; Description = 'One object per matching certificate: Name, UserName (empty for the server certificate), Kind, Serial, Thumbprint, Status, NotBefore, NotAfter, IssuedAt, RevokedAt, RevocationReason, RenewedFrom (the serial of the certificate this one renewed, empty for a first issuance), RenewedBy (the serial of the certificate that renewed this one) and Certificate (an X509Certificate2 without private key).' }
    )
    Notes       = 'Status is computed when the command runs, from the revocation time in the store and the certificate''s NotAfter; it is not a stored value. In the table a valid certificate that a renewal replaced shows as Renewed (its RenewedBy is set): the device uses its successor, and -ExpiringWithin does not list it.'
    Examples    = @(
        @{
            Title   = 'Without -Path, on the server this session runs'
            Code    = '$server = Start-ChatServer -Path ./chat -Port 0; Get-ChatCertificate' 
            Remarks = 'With one server started in this session, its data directory is the default. With none or several, the command asks for -Path (DataPathRequired).'
        }
        @{
            Title   = 'List every certificate'
            Code    = 'Get-ChatCertificate -Path ./chat'
            Remarks = 'Shows name, kind, status, expiry and serial of every certificate the CA in ./chat has issued.'
        }
        @{
            Title   = 'Find the valid certificates of one user'
            Code    = 'Get-ChatCertificate ./chat -UserName alice -Status Valid'
            Remarks = 'Returns one object per device Alice holds a valid certificate for.'
        }
        @{
            Title   = 'List the certificates that expire in the next 30 days'
            Code    = 'Get-ChatCertificate ./chat -ExpiringWithin 30d | Format-Table Kind, Name, NotAfter, Serial'
            Remarks = 'User and server certificates that are valid now and end within 30 days, soonest first. Useful in a scheduled script that reminds the admin to reissue certificates.'
        }
        @{
            Title   = 'The same span written as a TimeSpan, for users only'
            Code    = 'Get-ChatCertificate ./chat -ExpiringWithin ''7.00:00:00'' -Kind Client'
            Remarks = 'PowerShell converts ''7.00:00:00'' (days.hours:minutes:seconds) to a TimeSpan; 7d means the same.'
        }
        @{
            Title   = 'Look up a certificate by a serial copied from OpenSSL'
            Code    = @'
$serial = (openssl x509 -in bob.crt.pem -noout -serial) -replace '^serial=', ''
Get-ChatCertificate ./chat -Serial $serial | Format-List
'@
            Remarks = 'Serials are matched regardless of letter case and separators.'
        }
        @{
            Title   = 'Export the certificates of users whose names start with ops-'
            Code    = @'
Get-ChatCertificate ./chat -UserName 'ops-*' -Status Valid | ForEach-Object {
    Set-Content -Path "$($_.UserName)-$($_.Serial).crt.pem" -Value $_.Certificate.ExportCertificatePem()
}
'@
            Remarks = 'Writes each matching public certificate as PEM. The CA holds no client private keys, so none are exported.'
        }
    )
    Links       = @('New-ChatCertificate', 'Revoke-ChatCertificate', 'Export-ChatRevocationList', 'about_OpenChat')
}
