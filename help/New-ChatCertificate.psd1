@{
    Synopsis    = 'Issues a client or server certificate from an OpenChat certificate authority.'
    Description = @'
Issues certificates signed by the CA in the data directory given by -Path. There are three ways to use it, one per parameter set:

User (the default): -UserName issues a client certificate for a new ECDSA P-256 key that is generated on this machine. The key must go to a file, so that it does not exist only in an object printed to the console: -OutDirectory <folder> writes one password-protected PKCS#12 file per user, <user>.pfx, and -OutFile <file> writes one named file; both need -Password (alias -CertificatePassword, a SecureString: Read-Host -AsSecureString), and both write mode 0600. Without either the command refuses with KeyOutputRequired and issues nothing. The PKCS#12 holds the user's certificate and key and, as a second certificate, the CA certificate, so that the user can turn it into a chat identity with Register-ChatUser -Certificate <file> -Server <host:port>. The output object also carries the private key.

Request: -CertificateRequest (with -UserName, in the same parameter set) signs a PEM PKCS#10 certificate signing request (CSR) that was made elsewhere, so the private key never leaves the user's machine. The result has no private key, so neither -OutFile nor -OutDirectory is required; with -OutFile (or -OutDirectory, as <user>.crt.pem) the certificate is written as PEM, followed by the CA certificate.

Server: -Server issues the TLS certificate of the chat server, with the names given in -DnsName and -IPAddress as subject alternative names. Its certificate and unencrypted private key are installed in the data directory as server.crt.pem and server.key.pem (mode 0600). If a server certificate is already installed, -Force is needed to replace it (ServerCertificateExists); the old certificate stays valid until revoked. A running server keeps presenting the old certificate until it is restarted. Invites name the server key installed when they were made, so replacing it warns about pending invites (naming them): once the server uses the new certificate, enrolling with them fails with ServerKeyMismatch; cancel them and issue new ones. To retire a key that may be in other hands, replace the certificate, revoke the old one by serial (Revoke-ChatCertificate), restart the server and issue the pending invites again: clients that have seen the revocation then refuse a server presenting the old certificate (ServerCertificateRevoked). Without -DnsName and -IPAddress the certificate names localhost, the machine's host name (when it is a valid DNS name), 127.0.0.1 and ::1.

Certificate profile. Every certificate is signed with the CA key, has a random positive 126-bit serial number, starts fifteen minutes in the past so that machines whose clocks are up to ten minutes slow accept it at once, and never ends after the CA certificate. Extensions are always set by the CA: basic constraints CA:FALSE (critical), key usage digitalSignature (critical), extended key usage clientAuth for users or serverAuth for the server, a subject key identifier and an authority key identifier. A client certificate's subject is exactly CN=<user name>; a server certificate's subject is CN=<first DNS name, or first address>. Client certificates are valid for 365 days and server certificates for 397 days unless -ValidDays or -ValidFor says otherwise; the shortest lifetime is ten minutes.

User name rules. A user name is 2 to 32 characters: ASCII letters, digits, '.', '_' and '-', starting with a letter and ending with a letter or digit. Names are compared case-insensitively, so Alice and alice are the same user. These names are reserved and refused (UserNameReserved): admin, administrator, all, ca, channel, everyone, here, localhost, moderator, nobody, null, openchat, operator, postmaster, root, security, server, service, support, system, sysop. Every DNS name of a server certificate issued by this CA is refused as well.

One valid certificate per user. A user who already holds a valid (not revoked, not expired) certificate is refused with UserNameTaken, so that nobody can be issued a second identity under an existing name by mistake. To give the same person a certificate for another device (a second laptop, a bot), pass -AdditionalDevice. After the user's certificates are revoked or have expired, the name can be issued again without it.

Certificate requests. A CSR is signed only when all of these hold: it is a PEM PKCS#10 request no larger than 16 KB (otherwise CsrMalformed); its signature verifies with its own public key (CsrSignatureInvalid); its key is an EC key on the P-256 curve (CsrKeyNotAllowed); and its subject is exactly CN=<UserName> (letter case aside) with no other attributes (CsrSubjectMismatch). The user name rules above apply as well. Only the public key is taken from the request: the subject is rebuilt from -UserName and extensions requested in the CSR are never copied into the certificate.

Nothing is stored or written when a check fails. A certificate exists only once it is recorded in openchat.db, where Get-ChatCertificate and Revoke-ChatCertificate find it.

Pipeline. -UserName binds from the pipeline by value and by property name (aliases User and Name), and -CertificateRequest and -OutFile bind by property name, so a CSV file with a UserName column (and optionally OutFile or CertificateRequest columns) can be piped in. A row's own OutFile wins over -OutDirectory. The CA is opened once for the whole pipeline. A failure for one input (an invalid or taken name, a bad CSR, an existing output file) is written as a non-terminating error and the pipeline goes on; a failure to open the CA (CaNotFound, CaPasswordRequired, CaPasswordWrong, CaKeyInvalid) stops it. Progress is shown as certificates are issued.
'@
    Parameters  = @{
        Path               = 'The data directory of the server that holds the CA (ca.crt.pem, ca.key.pem, openchat.db).'
        UserName           = 'The user name for a client certificate. It becomes the certificate''s subject CN. See the description for the rules a name must follow. Accepts pipeline input by value and by property name; the aliases User and Name let Import-Csv columns of those names bind too. With -CertificateRequest it must equal the CN of the request (letter case aside).'
        CertificateRequest = 'A PKCS#10 certificate signing request in PEM form (-----BEGIN CERTIFICATE REQUEST-----): either the PEM text itself or the path of a file holding it. The request must have a valid signature, an EC P-256 key and the subject CN=<UserName>. Alias: Csr. Accepts pipeline input by property name, so a CSV with UserName and CertificateRequest columns signs each row''s request; an empty value means the key is generated here.'
        Server             = 'Issues the server''s TLS certificate (extended key usage serverAuth) instead of a client certificate, and installs it as server.crt.pem and server.key.pem in the data directory, replacing any existing ones.'
        DnsName            = 'The DNS names of the server, written to the subject alternative name extension. The first one also becomes the subject CN. Wildcards are not allowed. When neither -DnsName nor -IPAddress is given, localhost, the machine''s host name, 127.0.0.1 and ::1 are used.'
        IPAddress          = 'The IP addresses (IPv4 or IPv6) clients use to reach the server, written to the subject alternative name extension. Used as the subject CN when no -DnsName is given.'
        ValidDays          = 'How long the certificate is valid, in days, from 1 to 3650. The default is 365 for client certificates and 397 for the server certificate. The certificate never ends after the CA certificate does. Not together with -ValidFor (ValidityConflict).'
        ValidFor           = 'How long the certificate is valid, as a span from ten minutes to 3650 days: a TimeSpan (''12:00:00'', (New-TimeSpan -Hours 2)) or a short form, a whole number followed by w, d, h, m or s, such as 10m, 12h or 30d. Under ten minutes is refused with ValidityInvalid (a bare number is read as ticks, so it is refused too). Not together with -ValidDays (ValidityConflict). The certificate never ends after the CA certificate does.'
        AdditionalDevice   = 'Allows a certificate for a user who already holds a valid one: another device of the same person. Without it such a request fails with UserNameTaken.'
        CAPassword         = 'The password of the CA private key, needed when the CA was created with -Password. A missing password fails with CaPasswordRequired, a wrong one with CaPasswordWrong.'
        OutFile            = 'Also writes the certificate to this file (mode 0600). A certificate with a private key (User and Server sets) is written as PKCS#12 protected by -Password (PBES2, AES-256, SHA-256); a certificate signed from a CSR is written as PEM. An existing file is not overwritten unless -Force is given (OutputFileExists). Accepts pipeline input by property name.'
        OutDirectory       = 'A folder (created with mode 0700 when missing) that receives one file per user: <user>.pfx (PKCS#12 protected by -Password, mode 0600, with the CA certificate inside) for a generated key, <user>.crt.pem for a certificate signed from a CSR. An existing file is not overwritten unless -Force is given (OutputFileExists). A row''s own OutFile value takes precedence. User set only.'
        Password           = 'The password that protects the PKCS#12 files written by -OutFile or -OutDirectory (alias: CertificatePassword). A SecureString, so that it never appears in clear on the command line: use Read-Host -AsSecureString. Required for generated keys (PasswordRequired). Not used with -CertificateRequest, whose certificate carries no private key and is written as PEM.'
        Force              = 'Overwrites an existing -OutFile, and with -Server replaces a server certificate already installed in the data directory.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'A user name, bound to -UserName.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects (for example rows from Import-Csv) with UserName (or User or Name), CertificateRequest and OutFile properties, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatCertificate'; Description = 'One object per certificate issued: Name, UserName, Kind, Serial, Thumbprint, Status, NotBefore, NotAfter, IssuedAt, HasPrivateKey, Certificate (an X509Certificate2, with the private key when it was generated here) and OutFile.' }
    )
    Notes       = @'
The private key of a generated client certificate exists only in the output object and in the -OutFile or -OutDirectory file; the CA does not keep it. That is why a generated key needs one of them (KeyOutputRequired). Give each user the file and the password through different channels. One -Password protects every file of one run; run the command once per user to give each a password of their own.

Prefer -CertificateRequest, or invites (New-ChatInvite), when users can make their own keys: then no private key is ever handled by the admin.

Each new server certificate overwrites server.crt.pem and server.key.pem without asking and does not revoke the previous one; revoke it with Revoke-ChatCertificate if it should stop working.

Error ids: UserNameInvalid, UserNameReserved, UserNameTaken, UserNameConfusable (the name reads like another user's or a server's: a1ice next to alice), CsrMalformed, CsrSignatureInvalid, CsrKeyNotAllowed, CsrSubjectMismatch, ServerNameInvalid, ValidityInvalid, CaExpired, CaNotFound, CaPasswordRequired, CaPasswordWrong, CaKeyInvalid, OutputFileExists, PasswordRequired, KeyOutputRequired (a generated key with neither -OutFile nor -OutDirectory), StoreUnavailable.
'@
    Examples    = @(
        @{
            Title   = 'Issue a certificate that lives ten minutes'
            Code    = 'New-ChatCertificate ./chat -UserName trial -ValidFor 10m -OutDirectory ./keys -Password (Read-Host -AsSecureString)'
            Remarks = 'Ten minutes is the shortest lifetime; -ValidFor 5m is refused with ValidityInvalid and nothing is issued. Get-ChatCertificate ./chat -ExpiringWithin 1h lists it.'
        }
        @{
            Title   = 'Issue a certificate and save it as a password-protected PFX file'
            Code    = @'
$password = Read-Host -AsSecureString -Prompt 'PFX password'
New-ChatCertificate -Path ./chat -UserName alice -OutFile alice.pfx -Password $password
'@
            Remarks = 'Writes alice.pfx (PKCS#12, mode 0600) holding the certificate and its private key. Give the file and the password to Alice through different channels.'
        }
        @{
            Title   = 'Issue certificates for every user in a CSV file, one PFX file each'
            Code    = @'
# users.csv:
# UserName
# alice
# bob
$password = Read-Host -AsSecureString -Prompt 'PFX password'
Import-Csv users.csv | New-ChatCertificate -Path ./chat -OutDirectory ./certs -Password $password |
    Select-Object UserName, Serial, NotAfter, OutFile | Export-Csv issued.csv
'@
            Remarks = 'Writes ./certs/alice.pfx and ./certs/bob.pfx (mode 0600, with the CA certificate inside) and records who got which serial in issued.csv. A row that fails (for example a reserved or already taken name) produces a non-terminating error and the rest of the file is still processed. Each user then runs Register-ChatUser -Certificate ./alice.pfx -Server chat.example.org:7443.'
        }
        @{
            Title   = 'A generated key with nowhere to go is refused'
            Code    = @'
New-ChatCertificate -Path ./chat -UserName carol
# New-ChatCertificate: A user certificate issued here comes with a private key, which must go to a file ...
# FullyQualifiedErrorId: KeyOutputRequired,OpenChat.Cmdlets.Pki.NewChatCertificateCommand
'@
            Remarks = 'Nothing is issued. Add -OutDirectory or -OutFile with -Password, or sign a request made on the user''s machine with -CertificateRequest.'
        }
        @{
            Title   = 'Issue certificates from a CSV file straight into PFX files'
            Code    = @'
# users.csv:
# UserName,OutFile
# alice,out/alice.pfx
# bob,out/bob.pfx
$password = Read-Host -AsSecureString -Prompt 'PFX password'
Import-Csv users.csv | New-ChatCertificate -Path ./chat -Password $password -ErrorVariable failed
$failed | ForEach-Object { "$($_.TargetObject): $($_.FullyQualifiedErrorId)" }
'@
            Remarks = 'UserName and OutFile bind from the CSV columns; -Password protects every file. The last line lists the users that failed with their error ids, for example "admin: UserNameReserved,OpenChat.Cmdlets.Pki.NewChatCertificateCommand".'
        }
        @{
            Title   = 'Sign a certificate request made with OpenSSL'
            Code    = @'
# On the user's machine: the private key stays there.
openssl ecparam -name prime256v1 -genkey -noout -out bob.key
openssl req -new -key bob.key -subj '/CN=bob' -out bob.csr

# On the server:
New-ChatCertificate -Path ./chat -UserName bob -CertificateRequest ./bob.csr -OutFile bob.crt.pem
'@
            Remarks = 'Checks the request''s signature, key type and subject, then writes the signed certificate to bob.crt.pem as PEM. Only the public key comes from bob.csr; the subject and extensions are set by the CA.'
        }
        @{
            Title   = 'Issue the server''s TLS certificate'
            Code    = 'New-ChatCertificate -Path /srv/chat -Server -DnsName chat.example.org, chat -IPAddress 192.0.2.10 -CAPassword $caPassword'
            Remarks = 'Issues a server certificate (serverAuth) for chat.example.org, chat and 192.0.2.10, valid for 397 days, and installs it as /srv/chat/server.crt.pem and /srv/chat/server.key.pem. -CAPassword is needed because this CA key is encrypted.'
        }
        @{
            Title   = 'Give a user a certificate for a second device'
            Code    = 'New-ChatCertificate -Path ./chat -UserName alice -AdditionalDevice -OutFile alice-laptop2.pfx -Password $password'
            Remarks = 'Alice already holds a valid certificate; -AdditionalDevice allows a second one. Both stay valid until they expire or are revoked.'
        }
        @{
            Title   = 'See what would be issued without issuing anything'
            Code    = 'Import-Csv users.csv | New-ChatCertificate -Path ./chat -WhatIf'
            Remarks = 'Prints one "What if" line per user and does not open the CA or change the store.'
        }
    )
    Links       = @('Get-ChatCertificate', 'Revoke-ChatCertificate', 'New-ChatInvite', 'New-ChatCertificateAuthority', 'about_OpenChat')
}
