@{
    Synopsis    = 'Enrolls this machine as an OpenChat user by redeeming an invite, or from a certificate file the admin issued.'
    Description = @'
Redeems an invite made by the server's admin with New-ChatInvite and stores the resulting identity in a profile directory on this machine. After that, Connect-ChatRoom can connect as that user.

What happens, in order:

1. The invite is read. It carries the server address, the SHA-256 fingerprint of the server's CA, the SHA-256 fingerprint of the server's TLS key, the user name and a one-time secret. A text that is not an invite fails with InviteMalformed before anything else happens; one that was cut short says it is truncated or damaged; one of the old format ("ocinvite1.") fails with InviteOutdated.

2. A new ECDSA P-256 key pair is generated on this machine. The private key never leaves it.

3. The command connects to the server over TLS 1.3 without a client certificate. The server's certificate must carry the key the invite names (otherwise ServerKeyMismatch: this is how an old or stolen server key is kept from taking the enrollment), be for server authentication, valid now, and name the host in the invite; once the server hands over its CA certificate, that certificate must match the fingerprint in the invite and the server certificate must chain to it. A server that fails any of these checks is refused (ServerKeyMismatch or ServerNotTrusted) and nothing but the protocol greeting has been sent to it (nothing at all for a wrong key).

4. Only a certificate signing request (CSR) for the new key, with the subject CN=<user name>, the invite's id and user name, and a proof of the secret are sent. The secret itself is never sent: the proof is a signature, by a key derived from the secret, over this TLS connection's server certificate, a fresh value the server sent on this connection, and the CSR. It is worthless on any other connection and for any other request.

5. The server checks the proof and the invite against the CA's policy (it must exist, not be used, cancelled or expired, and be for that user name), signs the request and marks the invite as used.

6. The returned certificate is checked again here: it must be signed by the pinned CA, carry the new public key and name the invited user. Then the profile is written.

The profile. Identities are kept under a root folder: -ProfilePath if given, otherwise $env:OPENCHAT_HOME, otherwise ~/.openchat. Each identity has its own directory named <user>@<host>-<port> (for example alice@chat.example.org-7443), created with owner-only permissions, holding the pinned CA certificate (ca.crt.pem), the user's certificate (identity.crt.pem), the private key (identity.key.pem, mode 0600) and profile.json. Connect-ChatRoom later adds state.json, where it keeps the last sequence read per room and messages not yet acknowledged, and revoked.json, the certificate serials it has seen on the CA's signed revocation lists (a server presenting one of them is refused before anything is sent: ServerCertificateRevoked).

With -Password the private key is encrypted at rest (PKCS#8 with PBES2, PBKDF2-SHA256 and AES-256), and Connect-ChatRoom then needs the same password. Without it the key is protected only by the file's permissions.

If an identity for the same user on the same server already exists under the root, the command fails with ProfileExists and the invite is not used.

From a certificate file (-Certificate). An admin who issued the certificate with New-ChatCertificate -OutDirectory or -OutFile hands the user a password-protected PKCS#12 file (<user>.pfx) that holds the certificate, its key and the CA certificate. Register-ChatUser -Certificate ./alice.pfx -Server host:port -CertificatePassword $p turns it into the same kind of profile an invite makes, without contacting the server. The CA pinned is the one whose SHA-256 fingerprint -CaFingerprint names (as Get-ChatCertificateAuthority shows it; the CA in the file must have that fingerprint, otherwise CaFingerprintMismatch), or, without -CaFingerprint, the CA inside the PKCS#12, whose integrity the file's password protects. A PEM file (a certificate signed from a CSR, which New-ChatCertificate writes followed by the CA certificate; the key made with the request in the same file or in -KeyFile) has no such protection and needs -CaFingerprint (CaFingerprintRequired); a file without a CA certificate is refused too. The certificate must chain to the pinned CA (CertificateNotFromCa), be for client authentication (a server certificate is refused: CertificateNotForClients), be valid now (CertificateExpired), name a valid user, and match the key (CertificateFileInvalid). A wrong or missing file password fails with CertificatePasswordWrong. Nothing is written unless every check holds. Whether the certificate has been revoked is learnt at the first connection: the server refuses a revoked identity.

A profile made this way connects like one made from an invite: each connection checks that the server's certificate chains to the pinned CA, is for server authentication, names the host in -Server and is not revoked. An invite also names the server's key, because its secret must go only to the server holding it; a certificate file has no secret to protect, so no server key is pinned (see docs/security.md).
'@
    Parameters  = @{
        Invite         = 'The invite text, beginning with "ocinvite2.", as New-ChatInvite produced it. Surrounding white space is ignored. Accepts pipeline input by value and by property name, so the output of New-ChatInvite (its Invite property) can be piped in.'
        Identity       = 'With -Invite: an existing identity to re-enroll (its name, user name or profile directory), for a device whose certificate expired past the server''s renewal grace period (or was replaced by the admin). The invite must be for the identity''s own user (ReenrollUserMismatch otherwise). The identity keeps its private key (so contacts see nothing), its contacts, history, state and verification marks; its certificate is replaced, and its pinned CA becomes the one the invite pins. -Password opens the existing key. Without -Identity, an invite for a user who already has an identity here fails with ProfileExists.'
        ProfilePath    = 'The root folder that holds identities. The default is $env:OPENCHAT_HOME when it is set, otherwise ~/.openchat. The identity is written to a subdirectory named <user>@<host>-<port>. Use the same value with Get-ChatIdentity and Connect-ChatRoom.'
        Password       = 'Encrypts the new private key with this password. Connect-ChatRoom will need it (-Password) to use the identity. Without it the key is stored unencrypted, readable only by the owner.'
        Certificate    = 'The certificate file to make the identity from: a PKCS#12 file (.pfx) written by New-ChatCertificate -OutDirectory or -OutFile, or a PEM file with the certificate (signed from a CSR), the CA certificate after it, and optionally the private key. Aliases: OutFile, FullName, so the output of New-ChatCertificate or Get-ChildItem can be piped in.'
        KeyFile        = 'With a PEM -Certificate, the PEM private key made with the request (PKCS#8 or SEC1; an encrypted PKCS#8 key is opened with -CertificatePassword), when it is not in the certificate file.'
        CertificatePassword = 'The password of the PKCS#12 file (or of an encrypted PEM key), as a SecureString (Read-Host -AsSecureString). A missing or wrong one fails with CertificatePasswordWrong. It is not kept: use -Password to encrypt the identity''s key at rest.'
        Server         = 'With -Certificate: the chat server the identity connects to, as host:port (or a host name alone, port 7443). The host must be a name or address in the server''s certificate.'
        CaFingerprint  = 'With -Certificate: the SHA-256 fingerprint of the CA to pin, 64 hexadecimal digits with or without colons, as Get-ChatCertificateAuthority shows it. Get it from the admin through another channel than the file. Required for a PEM file; for a PKCS#12 file it is checked against the CA inside (CaFingerprintMismatch), and without it that CA is pinned.'
        TimeoutSeconds = 'How long to wait, in seconds, for the server to accept the connection and again for its answer to the enrollment, from 1 to 300. The default is 15. When it runs out the command fails with Timeout.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'An invite text, bound to -Invite.' }
        @{ Type = 'OpenChat.ChatInvite'; Description = 'An invite from New-ChatInvite; its Invite property binds to -Invite.' }
        @{ Type = 'System.IO.FileInfo'; Description = 'A certificate file (for example from Get-ChildItem *.pfx); its FullName binds to -Certificate.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatIdentity'; Description = 'The new identity: Name (the profile directory name, user@host-port), UserName, Server, CaFingerprint, Serial, NotAfter, KeyEncrypted and Path.' }
    )
    Notes       = @'
An invite can be redeemed once. If enrollment fails after the server accepted the invite (for example the connection breaks before the answer arrives), ask the admin for a new invite.

Compare the CaFingerprint of the new identity with the one the admin sees (Get-ChatServer or Get-ChatCertificateAuthority) through a channel you trust, if the invite reached you through one you do not.

The command supports -WhatIf: the invite is read and checked for form, and nothing is generated or sent.

An invite cancelled by the admin, or by the revocation of the user it names (a revoked user cannot come back with an invite issued before the revocation), fails with InviteRevoked and says why.

Error ids with -Certificate: CertificateFileInvalid, CertificatePasswordWrong, CaFingerprintRequired, CaFingerprintInvalid, CaFingerprintMismatch, CertificateNotFromCa, CertificateNotForClients, CertificateExpired, UserNameInvalid, ServerAddressInvalid, ProfileExists.

Error ids with -Invite: InviteMalformed, InviteOutdated, InviteNotFound, InviteExpired, InviteAlreadyRedeemed, InviteRevoked, InviteSecretWrong (the proof does not hold: the secret is wrong, or the proof was made for another connection or request), InviteUserMismatch, UserNameTaken, UserNameConfusable, ProfileExists, ReenrollUserMismatch (with -Identity), ServerUnreachable, ServerKeyMismatch, ServerNotTrusted, ConnectionRefused, ConnectionLost, RateLimited, ServerBusy (the server is full, or has too many enrollments in progress: try again later), Timeout, StoreUnavailable.
'@
    Examples    = @(
        @{
            Title   = 'Enroll with an invite received from the admin'
            Code    = 'Register-ChatUser -Invite ''ocinvite2.eyJzIjoiY2hhdC5leGFtcGxlLm9yZzo3NDQzIiwi...'''
            Remarks = 'Generates a key, connects to the server named in the invite, and writes the identity to ~/.openchat/alice@chat.example.org-7443 (or under $env:OPENCHAT_HOME). The output shows the new identity with its certificate serial and expiry date.'
        }
        @{
            Title   = 'Enroll with a password-protected key'
            Code    = @'
$password = Read-Host -AsSecureString -Prompt 'Password for my chat key'
Register-ChatUser -Invite (Get-Content ./invite.txt -Raw) -Password $password
'@
            Remarks = 'The private key is stored encrypted. Connect-ChatRoom -Password $password is needed to use it.'
        }
        @{
            Title   = 'Create and redeem an invite in one pipeline, on a test machine'
            Code    = @'
Start-ChatServer -Path ./chat -Port 0 | Out-Null
New-ChatInvite -Path ./chat -UserName alice | Register-ChatUser -ProfilePath ./profiles
'@
            Remarks = 'The invite''s Invite property binds to -Invite. Useful for tests and demos where the admin and the user are the same person; keeping the identity in ./profiles leaves ~/.openchat untouched.'
        }
        @{
            Title   = 'Make an identity from the PFX file the admin issued'
            Code    = @'
$filePassword = Read-Host -AsSecureString -Prompt 'Password of alice.pfx'
Register-ChatUser -Certificate ./alice.pfx -Server chat.example.org:7443 -CertificatePassword $filePassword `
    -CaFingerprint 'E0:D9:F4:8E:FF:AE:8F:92:DE:1C:0D:33:CE:51:80:F1:CF:30:E1:37:5B:C2:37:EF:26:21:52:CA:4C:8A:F4:C2'
Connect-ChatRoom -Room ops
'@
            Remarks = 'Checks the file against the CA fingerprint the admin read out (Get-ChatCertificateAuthority), and writes the identity alice@chat.example.org-7443. Without -CaFingerprint the CA inside the password-protected file is pinned.'
        }
        @{
            Title   = 'Make an identity from a certificate signed from your own request'
            Code    = @'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dave.key -out dave.csr -subj /CN=dave
# ... the admin runs New-ChatCertificate -UserName dave -CertificateRequest ./dave.csr -OutFile dave.crt.pem
Register-ChatUser -Certificate ./dave.crt.pem -KeyFile ./dave.key -Server chat.example.org:7443 -CaFingerprint $fingerprint
'@
            Remarks = 'The key never left this machine. A PEM file is not password-protected, so the CA fingerprint from the admin is required.'
        }
        @{
            Title   = 'Re-enroll an identity whose certificate expired long ago'
            Code    = 'Register-ChatUser -Invite (Get-Content ./invite.txt -Raw) -Identity alice@chat.example.org-7443'
            Remarks = 'The same identity, the same key, a new certificate: its contacts, history and verification marks stay. Within the grace period Update-ChatIdentity (or simply connecting) renews without an invite.'
        }
        @{
            Title   = 'Keep identities in a folder of your choice'
            Code    = @'
$env:OPENCHAT_HOME = '/secure/openchat'
Register-ChatUser -Invite $invite
Get-ChatIdentity
'@
            Remarks = 'With OPENCHAT_HOME set, every OpenChat client command uses that folder unless -ProfilePath says otherwise.'
        }
    )
    Links       = @('New-ChatInvite', 'Get-ChatIdentity', 'Connect-ChatRoom', 'about_OpenChat')
}
