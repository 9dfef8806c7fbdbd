@{
    Synopsis    = 'Revokes certificates issued by an OpenChat certificate authority.'
    Description = @'
Marks certificates as revoked in the data directory's store (openchat.db), with the time and a reason. A revoked certificate stays in the store and is listed by Get-ChatCertificate with the status Revoked; revocation cannot be undone.

Certificates are chosen either by serial number (-Serial, the default parameter set) or by user (-UserName). -UserName revokes every certificate of that user that is not revoked yet, that is every device, including expired ones. It takes exact user names (case-insensitive), not wildcards; to pick certificates with a pattern, pipe from Get-ChatCertificate.

A certificate that was renewed (Get-ChatCertificate shows RenewedFrom and RenewedBy) belongs to one device with the certificates before and after it, which share its key unless the device moved to a new key: revoking any of them revokes the whole renewal chain, so a stolen device cannot connect with whichever certificate of the chain was left valid.

-Serial binds from the pipeline by property name, so the output of Get-ChatCertificate can be piped in. Serial numbers are accepted in upper or lower case, with or without colons, spaces or dashes.

The command's ConfirmImpact is High, so it asks for confirmation of each certificate unless -Confirm:$false is given or $ConfirmPreference is set to None. Use -WhatIf to see what would be revoked.

Each certificate is handled on its own: an unknown serial (CertificateNotFound) or a certificate that is already revoked (CertificateAlreadyRevoked) produces a non-terminating error and the others are still revoked. A data directory without a CA stops the command (CaNotFound).

Revoking a user's last valid certificate (by serial, or all of them with -UserName) also cancels every pending invite for that user, in the same transaction: a revoked user cannot come back with an invite issued before the revocation. The command says so with a warning that names the cancelled invites; Get-ChatInvite then shows them Revoked, with a CancelReason naming the revoked certificate. Revoking one device of a user who keeps another valid certificate leaves the user's invites alone. -UserName for a user who holds no valid certificate (never enrolled, or revoked before) cancels that user's pending invites and reports no error; without any, it reports CertificateNotFound or CertificateAlreadyRevoked as usual. To let the user back in, issue a new invite after the revocation.

Revocation does not need the CA private key. To publish it to tools that check certificates, sign a new revocation list with Export-ChatRevocationList.
'@
    Parameters  = @{
        Path       = 'The data directory of the server that holds the CA.'
        Serial     = 'The serial numbers of the certificates to revoke, in hexadecimal. Accepts pipeline input by property name, for example from Get-ChatCertificate.'
        UserName   = 'Revokes every certificate (every device) of these users that is not revoked yet. Exact names, compared case-insensitively; wildcards are not supported. Alias: User.'
        Reason     = 'The revocation reason recorded in the store and in the revocation list: Unspecified (default), KeyCompromise, CACompromise, AffiliationChanged, Superseded, CessationOfOperation, PrivilegeWithdrawn, AACompromise or WeakAlgorithmOrKey. CertificateHold and RemoveFromCrl are refused (RevocationReasonInvalid): revocation here is permanent.'
        PassThru   = 'Returns an object for each certificate that was revoked. By default the command writes no output.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatCertificate'; Description = 'Certificates from Get-ChatCertificate or New-ChatCertificate; their Serial property binds to -Serial.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with a Serial property, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'By default this cmdlet writes no output. A warning names the pending invites it cancelled.' }
        @{ Type = 'OpenChat.ChatCertificate'; Description = 'With -PassThru, one object per revoked certificate, with Status Revoked, RevokedAt and RevocationReason set.' }
    )
    Notes       = @'
Revoking a user's certificates does not stop the user from being issued a new certificate under the same name later: once no valid certificate remains, New-ChatCertificate accepts the name again.

Revoking the server certificate is allowed (by serial); issue a new one with New-ChatCertificate -Server -Force first and restart the server. Clients that have since seen a revocation list from the CA (a connected session fetches one regularly and before sending) refuse any server that still presents the revoked certificate, with ServerCertificateRevoked, before they send anything; a client that has not connected since the revocation does not know yet. Enrolling clients are protected by the server key their invite names instead: invites made after the replacement name the new key.

Error ids: CertificateNotFound, CertificateAlreadyRevoked, SerialInvalid, RevocationReasonInvalid, CaNotFound, StoreUnavailable.
'@
    Examples    = @(
        @{
            Title   = 'Revoke every certificate of a user who left, from a script'
            Code    = @'
Revoke-ChatCertificate -Path ./chat -UserName bob -Reason AffiliationChanged -Confirm:$false
Export-ChatRevocationList -Path ./chat
'@
            Remarks = 'Revokes all of Bob''s devices without prompting, then writes a new ./chat/ca.crl.pem that lists them.'
        }
        @{
            Title   = 'Revoke one certificate by serial, with confirmation'
            Code    = 'Revoke-ChatCertificate ./chat -Serial 6A2B9B85F6570ECD7BDD4515A3889AF7 -Reason KeyCompromise'
            Remarks = 'Asks "Are you sure you want to perform this action?" naming the user and serial before revoking.'
        }
        @{
            Title   = 'Revoke the certificates found by Get-ChatCertificate'
            Code    = @'
Get-ChatCertificate ./chat -UserName 'contractor-*' -Status Valid |
    Revoke-ChatCertificate ./chat -Reason CessationOfOperation -Confirm:$false -PassThru
'@
            Remarks = 'Each certificate''s Serial binds to -Serial. -PassThru returns the revoked certificates so the result can be logged.'
        }
        @{
            Title   = 'Revoke only the lost laptop of a user with several devices'
            Code    = @'
Get-ChatCertificate ./chat -UserName alice -Status Valid | Format-Table Serial, IssuedAt, NotAfter
Revoke-ChatCertificate ./chat -Serial 79187313E7B5B6E76D101CA49C45A23E -Reason KeyCompromise
'@
            Remarks = 'Lists Alice''s devices, then revokes just the one whose serial was identified. Her other certificates stay valid.'
        }
        @{
            Title   = 'Preview a revocation'
            Code    = 'Revoke-ChatCertificate ./chat -UserName alice -WhatIf'
            Remarks = 'Prints a "What if" line for every certificate that would be revoked and changes nothing.'
        }
    )
    Links       = @('Get-ChatCertificate', 'Export-ChatRevocationList', 'New-ChatCertificate', 'about_OpenChat')
}
