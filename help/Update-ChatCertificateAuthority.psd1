@{
    Synopsis    = 'Rolls an OpenChat certificate authority over to a new root, cross-certified by the current one.'
    Description = @'
Replaces the CA's root certificate with a new one before the current root expires, without anyone enrolling again. The new root has a new ECDSA P-256 key and the current name with the next generation number ("Example CA" becomes "Example CA G2", then "Example CA G3"), so the two roots are told apart.

Two cross-certificates carry trust over. The current root signs a certificate for the new root's name and key (ca-cross.crt.pem): a client that pins only the current root verifies a certificate under the new root through it, and pins the new root on that proof. The new root signs a certificate for the current root's name and key (ca-reverse-cross.crt.pem): a client that enrolls after the rollover, and pins only the new root, pins the current root on that proof and so accepts members whose certificates were issued before the rollover. Both are CA certificates with keyCertSign and cRLSign, valid until the replaced root expires.

From then on everything is issued under the new root: user certificates, enrollments through invites, and the server's TLS certificate, which is re-issued at once under the new root with the same key and names (so invites made before the rollover still match the server's key). The replaced root stays in the data directory as ca-previous.crt.pem, with its key as ca-previous.key.pem (mode 0600), until it expires; meanwhile the server serves its certificate with the cross-certificate, accepts users under either root, and publishes a revocation list signed by each root.

The server must be stopped: the command takes the server's lock and is refused with ServerAlreadyRunning while a server serves the directory. Connected clients are cut off by the stop, reconnect by themselves when the server is started again, and are handed the new root with its proof right after connecting; clients that were offline do the same whenever they next connect, as long as the replaced root is valid. After it has expired a client that never connected during the overlap cannot verify the server any more (PinnedCaExpired) and needs a new invite.

Only one overlap runs at a time: a second rollover before the replaced root expired is refused with CaRolloverInProgress. A root made before this version (path length zero) cannot be rolled over (CaRolloverUnsupported): no verifier would accept a chain through a cross-certificate under it.
'@
    Parameters  = @{
        Path        = 'The data directory of the (stopped) server that holds the CA.'
        Password    = 'The password of the current CA key, when the CA was created with -Password (CaPasswordRequired, CaPasswordWrong).'
        NewPassword = 'The password both keys are stored under afterwards (the new root''s key and the replaced root''s key, which signs its revocation list). Without it both keep -Password (or stay unencrypted). Start-ChatServer then needs this password as -CAPassword.'
        ValidDays   = 'Days the new root is valid, from 1 to 36500. The default is 3650. The overlap is the replaced root''s remaining life, whatever this is.'
    }
    Inputs      = @(
        @{ Type = 'None'; Description = 'This cmdlet does not take pipeline input.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatCaRollover'; Description = 'The rollover: Subject and Fingerprint of the new root (what invites carry from now on), NotAfter, PreviousSubject and PreviousFingerprint, OverlapEnds (when the replaced root expires) and ServerCertificateSerial (the server certificate re-issued under the new root).' }
    )
    Notes       = @'
Roll over well before the root expires: the overlap is what remains of the replaced root's life, and only users who connect during it follow without a new invite. A year or more of overlap is comfortable.

The files: ca.crt.pem and ca.key.pem are the new root; ca-previous.crt.pem, ca-previous.key.pem, ca-cross.crt.pem and ca-reverse-cross.crt.pem are the overlap's. A later rollover, after the overlap, moves the last four into a retired-<time> subdirectory. Keep backups of the whole directory, as before.

Export-ChatRevocationList writes the new root's list; it names every revoked certificate of the CA, under either root. The server hands clients both roots' lists itself.

Error ids: CaNotFound, CaPasswordRequired, CaPasswordWrong, CaKeyInvalid, CaExpired, CaRolloverInProgress, CaRolloverUnsupported, ServerAlreadyRunning, ValidityInvalid.
'@
    Examples    = @(
        @{
            Title   = 'Roll the CA over during a maintenance window'
            Code    = @'
Get-ChatServer -Path ./chat | Stop-ChatServer -Confirm:$false
Update-ChatCertificateAuthority -Path ./chat -Password $caPassword
Start-ChatServer -Path ./chat -CAPassword $caPassword
'@
            Remarks = 'Prints the new root''s subject and fingerprint and when the overlap ends. Connected users reconnect by themselves and pin the new root; new invites carry its fingerprint.'
        }
        @{
            Title   = 'Check the new chain with OpenSSL, through the cross-certificate and directly'
            Code    = @'
openssl verify -CAfile ./chat/ca-previous.crt.pem -untrusted ./chat/ca-cross.crt.pem ./chat/server.crt.pem
openssl verify -CAfile ./chat/ca.crt.pem ./chat/server.crt.pem
'@
            Remarks = 'Both print "OK": a client that pins only the old root builds server certificate, cross-certificate, old root; one that pins the new root ends there directly.'
        }
        @{
            Title   = 'Store both keys under a new password'
            Code    = @'
$new = Read-Host -AsSecureString 'New CA password'
Update-ChatCertificateAuthority ./chat -Password $caPassword -NewPassword $new -ValidDays 7300
'@
            Remarks = 'The new root is valid for twenty years; from now on the server starts with -CAPassword $new.'
        }
    )
    Links       = @('New-ChatCertificateAuthority', 'Get-ChatCertificateAuthority', 'Start-ChatServer', 'Export-ChatRevocationList', 'about_OpenChat')
}
