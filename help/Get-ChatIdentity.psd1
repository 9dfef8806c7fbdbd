@{
    Synopsis    = 'Lists the OpenChat identities enrolled on this machine.'
    Description = @'
Lists the identities stored in the profile root: -ProfilePath if given, otherwise $env:OPENCHAT_HOME, otherwise ~/.openchat. Each identity is one certificate for one user on one server, created by Register-ChatUser in its own directory named <user>@<host>-<port>.

-Name filters by the identity's name or by its user name, with wildcards and without regard to case. Without -Name every identity is listed, sorted by name.

The command reads only the profile directories: it does not contact the server, so it does not know whether a certificate has been revoked since. Nothing secret is read; an encrypted private key needs no password here. A directory that is damaged (its profile.json cannot be read) is skipped.

The Name of an identity is what Connect-ChatRoom -Identity takes. A user name alone also works there as long as only one identity has it.
'@
    Parameters  = @{
        Name        = 'Returns only identities whose name (user@host-port) or user name matches this pattern. Wildcards are supported; case is ignored.'
        ProfilePath = 'The root folder that holds identities. The default is $env:OPENCHAT_HOME when it is set, otherwise ~/.openchat.'
    }
    Inputs      = @(
        @{ Type = 'None'; Description = 'This cmdlet does not take pipeline input.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatIdentity'; Description = 'One object per identity: Name (user@host-port), UserName, Server (host:port), CaFingerprint (the pinned CA), Serial and NotAfter of the certificate, Fingerprint (SHA-256 of the device''s public key, what contacts pin; a renewal with the same key keeps it), KeyEncrypted (whether the private key needs a password) and Path (the profile directory).' }
    )
    Notes       = @'
When the profile root does not exist or holds no identities, the command writes nothing and no error.

To remove an identity from this machine, delete its directory (the Path property). That does not revoke its certificate; ask the admin to do that with Revoke-ChatCertificate if the key may be compromised.
'@
    Examples    = @(
        @{
            Title   = 'List every identity on this machine'
            Code    = 'Get-ChatIdentity'
            Remarks = 'Shows Name, UserName, Server, NotAfter and KeyEncrypted for each identity under ~/.openchat (or $env:OPENCHAT_HOME).'
        }
        @{
            Title   = 'Find identities that expire soon'
            Code    = 'Get-ChatIdentity | Where-Object NotAfter -lt (Get-Date).AddDays(30) | Format-Table Name, NotAfter'
            Remarks = 'Lists certificates that end within 30 days, so that a new invite can be asked for in time.'
        }
        @{
            Title   = 'Check the pinned CA of one identity'
            Code    = 'Get-ChatIdentity alice@chat.example.org-7443 | Format-List Name, Server, CaFingerprint, Path'
            Remarks = 'Shows the CA fingerprint this identity trusts; it must equal the fingerprint the admin sees with Get-ChatCertificateAuthority.'
        }
        @{
            Title   = 'Connect with an identity found by pattern'
            Code    = 'Get-ChatIdentity ''bot*'' | Connect-ChatRoom -Room alerts'
            Remarks = 'The identity''s Path binds to -Identity of Connect-ChatRoom by property name. If the pattern matches several identities, one session is opened for each.'
        }
    )
    Links       = @('Register-ChatUser', 'Connect-ChatRoom', 'about_OpenChat')
}
