@{
    Synopsis    = 'Renews the certificate of an OpenChat identity now, keeping its key or moving to a new one.'
    Description = @'
Asks the server for a new certificate for the identity's device: the same user, the same key, a new serial, and a lifetime as long as the one it replaces (never past the CA's end). The renewal is authenticated by the connection itself: its TLS handshake proves possession of the current certificate's key. The new certificate is checked before it is stored (it must chain to the pinned CA, be for client authentication, name this user, carry this device's key and be valid now), then written to identity.crt.pem atomically and profile.json updated. Because the key stays, the device fingerprint contacts pin (the Fingerprint property) does not change, and contacts see nothing.

With a session of the identity open in this runspace (Connect-ChatRoom), the renewal goes over that session's connection: the server rebinds the connection to the renewed certificate, nothing reconnects, and later reconnects use the renewed certificate. Otherwise the command connects by itself, renews and disconnects; it then needs the key's password if the key is encrypted (-Password, or it asks).

A connected session renews by itself once two thirds of its certificate's validity have passed, so this command is for renewing now: before a trip, after the admin shortened lifetimes, or to test the setup. An identity whose certificate has expired also renews, on a connection that may do nothing else, as long as it expired less than the server's renewal grace period ago (Start-ChatServer -RenewalGracePeriod, 30 days by default). After that the server refuses with CertificateExpired: ask the admin for an invite and re-enroll into the same identity with Register-ChatUser -Invite <code> -Identity <identity>.

With -NewKey the device moves to a new key instead: a new P-256 key is made on this machine (it never leaves it), a certificate request for it goes to the server over a connection the current certificate authenticates, and the current key signs a handover to the new one (kept in the profile as identity.handover and published with the device's key package). Contacts' clients check the handover and show "renewed its key": their verification mark stays, and the safety number changes with the device's fingerprint. A key that appears without a handover still gives the loud key-change warning. The session state and the message history, which are encrypted under keys derived from the device key, are re-encrypted to the new key in the same step; a move cut short (a crash, a power cut) is finished the next time the identity is opened. -NewKey needs the identity's sessions closed (Disconnect-ChatRoom first) and a certificate that has not expired (renew an expired one first without -NewKey). Move to a new key when the old one may have been copied, or as routine hygiene; if it may have been stolen, also ask the admin to revoke the previous certificate (Get-ChatCertificate shows it as RenewedBy the new one), which still works until its end.

A certificate renews once: the one it was renewed from cannot renew again. So if someone copied this device's key and renewed first, this command fails loudly with CertificateAlreadyRenewed; tell the admin, who should revoke the certificate named in the message. A revoked certificate never renews (the connection is refused, or RenewalOfRevokedCertificate).
'@
    Parameters  = @{
        Identity       = 'Which enrolled identity to renew: its name (user@host-port), its user name when only one identity has it, or the profile directory. Binds by property name from Get-ChatIdentity (Path). Without it, the only identity in the profile root.'
        ProfilePath    = 'The root folder that holds identities. The default is $env:OPENCHAT_HOME when it is set, otherwise ~/.openchat.'
        Password       = 'The password of the identity''s private key, when it is encrypted and no session of it is open. Without it the command asks, if the host can.'
        Server         = 'host:port to connect to instead of the address stored with the identity (only when no session is open).'
        TimeoutSeconds = 'How long to wait, in seconds, for the connection and again for the server''s answer, from 1 to 300. The default is 15.'
        NewKey         = 'Move the device to a new key, handed over by the current one (contacts see "renewed its key"). Needs no session of the identity open in this runspace (ProfileInUse otherwise) and an unexpired certificate (CertificateExpired otherwise).'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatIdentity'; Description = 'An identity from Get-ChatIdentity; its Path binds to -Identity.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatIdentity'; Description = 'The identity after the renewal: the new Serial and NotAfter, and the same Fingerprint (a new one with -NewKey).' }
    )
    Notes       = @'
The command supports -WhatIf and -Confirm: with -WhatIf nothing is sent.

The CA records the renewal: Get-ChatCertificate shows RenewedFrom on the new certificate and RenewedBy on the one it replaced (listed with the status Renewed), and neither the expiry warning nor Get-ChatCertificate -ExpiringWithin counts a certificate that was renewed.

Error ids: CertificateExpired (past the grace period), CertificateAlreadyRenewed, RenewalOfRevokedCertificate, RenewalWindowPassed, CertificateNotFromCa, ConnectionRefused, RateLimited (more than three renewals on one connection within a few minutes), ServerNotTrusted (the server returned a certificate that fails the checks; nothing was stored), ProfileInUse (a session of the identity is open in another process), ProfileNotFound, ProfilePasswordWrong, ServerUnreachable, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Renew an identity now'
            Code    = 'Update-ChatIdentity -Identity alice@chat.example.org-7443'
            Remarks = 'Shows the identity with its new Serial and NotAfter. Its Fingerprint is unchanged.'
        }
        @{
            Title   = 'Move to a new key'
            Code    = @'
Disconnect-ChatRoom -Session (Get-ChatSession | Where-Object UserName -eq alice)
Update-ChatIdentity -Identity alice -NewKey
'@
            Remarks = 'The Fingerprint changes. Contacts see "alice renewed its key" and keep their verification mark; her history and rooms stay readable.'
        }
        @{
            Title   = 'Renew every identity that expires within a month'
            Code    = 'Get-ChatIdentity | Where-Object NotAfter -lt (Get-Date).AddDays(30) | Update-ChatIdentity'
            Remarks = 'Each identity renews over a connection of its own, or over its open session in this runspace.'
        }
        @{
            Title   = 'Renew while connected, without reconnecting'
            Code    = @'
$s = Connect-ChatRoom -Identity alice -Room ops
Update-ChatIdentity -Identity alice
$s.State
'@
            Remarks = 'The session stays Connected: the server rebinds its connection to the renewed certificate.'
        }
        @{
            Title   = 'Re-enroll when the grace period has passed'
            Code    = @'
Update-ChatIdentity -Identity alice    # fails with CertificateExpired
Register-ChatUser -Invite (Get-Content ./invite.txt -Raw) -Identity alice
'@
            Remarks = 'The invite from the admin re-enrolls the same identity with its key: contacts, history and verification marks stay.'
        }
    )
    Links       = @('Get-ChatIdentity', 'Register-ChatUser', 'Connect-ChatRoom', 'Get-ChatCertificate', 'about_OpenChat')
}
