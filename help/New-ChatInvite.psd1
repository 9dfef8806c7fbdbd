@{
    Synopsis    = 'Creates one-time, expiring enrollment invites for OpenChat users.'
    Description = @'
Creates an invite for a user name and returns it. The Invite property of the output is the text to hand to the new user: it starts with "ocinvite2." and carries the server address, the SHA-256 fingerprint of the CA certificate (which the user's client will pin), the SHA-256 fingerprint of the server's TLS public key as installed now (server.crt.pem; the client refuses any server that presents another key), the invite id, the user name and a 256-bit random secret.

The secret never goes to the server, not even at enrollment: the user's client proves that it holds it, with a signature bound to that one TLS connection and that one certificate request. The CA stores only a verifier of the secret (a public key derived from it), never the secret or anything that could make such a proof, so the invite text is shown only once, in the output of this command. Get-ChatInvite can list invites later but cannot show their text again; if it is lost, cancel the invite with Revoke-ChatInvite and create a new one.

An invite names the server key, so the data directory needs a server certificate first: issue one with New-ChatCertificate -Server, or start the server once (Start-ChatServer issues one). Without it the command fails with ServerCertificateMissing. After replacing the server certificate, invites made before name the old key and enrolling with them fails with ServerKeyMismatch: issue them again.

An invite can be redeemed once, with Register-ChatUser, for the user name it names, until it expires (7 days by default, at most 90). Revoking the user (Revoke-ChatCertificate -UserName, or the user's last valid certificate) cancels every pending invite for that user.

The user name must follow the OpenChat user name rules (2 to 32 ASCII letters, digits, '.', '_' or '-', starting with a letter and ending with a letter or digit, not reserved; see about_OpenChat). A user who already holds a valid certificate cannot be invited again unless -AdditionalDevice is given, in which case the invite is for another device of that user.

-UserName binds from the pipeline by value and by property name, and -Server and -ValidDays by property name, so invites for many users can be created from a CSV file: Import-Csv users.csv | New-ChatInvite -Path ./chat | Export-Csv invites.csv writes one line per invite with its UserName, Server, Status, CreatedAt, ExpiresAt and Invite text as plain columns. A failure for one row (UserNameInvalid, UserNameReserved, UserNameTaken, UserNameConfusable for a name that reads like another user's (a1ice next to alice), UserNameDuplicate for a name already invited earlier in the same pipeline, ServerAddressInvalid, ValidityInvalid, ServerCertificateMissing) is a non-terminating error whose message begins with the input's number and name ("Input 3 ('bad name'): ..."), and the other rows still get their invites; a data directory without a CA stops it (CaNotFound). Progress is shown as invites are created.

Creating invites does not use the CA private key and never asks for the CA password.
'@
    Parameters  = @{
        Path             = 'The data directory of the server that holds the CA.'
        UserName         = 'The user name the invite is for. The enrolled certificate will have the subject CN=<UserName>. Aliases: User, Name. Accepts pipeline input by value and by property name.'
        ValidFor         = 'How long the invite can be redeemed, from ten minutes to 90 days. The default is 7 days. Pass a TimeSpan, such as (New-TimeSpan -Days 2) or ''2.00:00:00'', or a short form: a whole number followed by w, d, h, m or s, such as 10m, 12h or 2d. A bare number would be read as ticks (100 ns units), so it is refused, like anything under ten minutes, with ValidityInvalid. Not together with -ValidDays (ValidityConflict).'
        ValidDays        = 'How long the invite can be redeemed, in whole days from 1 to 90 (ValidityInvalid otherwise); the same as -ValidFor; giving both is refused with ValidityConflict; 0, or an empty CSV cell, means the default. Accepts pipeline input by property name, so a ValidDays column in a CSV gives each row its own expiry.'
        Server           = 'The address the new user''s client will connect to, as host:port, [IPv6]:port, or a host name alone (port 7443). For a deployment of several nodes, give up to nine addresses (-Server a.example.org:7443, b.example.org:7443, or one value with commas, as a CSV column would hold it): enrollment tries them in order and the new client remembers them all, so it can connect through another node when the first is down. Every node must present the server key the invite names (nodes started from copies of one data directory do). When omitted, the invite carries the server address recorded in the data directory, or localhost:7443 when none is recorded. Accepts pipeline input by property name.'
        AdditionalDevice = 'Creates an invite for another device of a user who already holds a valid certificate. Without it, inviting such a user fails with UserNameTaken.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'A user name, bound to -UserName.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects (for example rows from Import-Csv) with UserName (or User or Name), Server and ValidDays properties, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatInvite'; Description = 'One object per invite: Id, UserName, Server, Status (Pending), CreatedAt, ExpiresAt, RedeemedAt, RevokedAt, CancelReason (why a Revoked invite was cancelled, when it was not by Revoke-ChatInvite), AdditionalDevice and Invite, the text to give to the user.' }
    )
    Notes       = @'
Treat the invite text like a password until it is used: whoever holds it can enroll as that user, from anywhere that reaches the real server (the server key it names only stops it being used against a server that does not hold that key). Send it over a channel you trust, and cancel invites that are no longer needed with Revoke-ChatInvite.

Invites of the old format ("ocinvite1.") are no longer accepted (InviteOutdated); a data directory from an earlier version has its pending old invites cancelled when it is first opened, with the reason shown in their CancelReason.

Creating an invite does not reserve the user name: a certificate issued for the same name with New-ChatCertificate before the invite is redeemed makes the invite unusable: redeeming it will fail with UserNameTaken.
'@
    Examples    = @(
        @{
            Title   = 'An invite that must be used within ten minutes'
            Code    = 'New-ChatInvite ./chat alice -ValidFor 10m'
            Remarks = 'Ten minutes is the shortest lifetime an invite may have; -ValidFor 5m is refused with ValidityInvalid.'
        }
        @{
            Title   = 'Invite one user'
            Code    = '(New-ChatInvite -Path ./chat -UserName alice -Server chat.example.org:7443).Invite'
            Remarks = 'Prints the invite text (ocinvite2.…) to send to Alice. It is valid for seven days.'
        }
        @{
            Title   = 'Invite a user to a deployment of two nodes'
            Code    = '(New-ChatInvite -Path ./node-a -UserName carol -Server chat-a.example.org:7443, chat-b.example.org:7443).Invite'
            Remarks = 'Enrollment goes to chat-a first and to chat-b when chat-a cannot be reached; carol''s client remembers both (and learns of further nodes from each connection).'
        }
        @{
            Title   = 'Invite everyone in a CSV file and save the invites for mailing'
            Code    = @'
# people.csv:
# UserName,Email
# alice,alice@example.org
# bob,bob@example.org
$people = Import-Csv people.csv
$people | New-ChatInvite -Path ./chat -Server chat.example.org:7443 -ValidFor (New-TimeSpan -Days 14) |
    Select-Object UserName, ExpiresAt, Invite |
    Export-Csv invites.csv
'@
            Remarks = 'UserName binds from the CSV column. invites.csv then holds secrets: protect it and delete it once the invites are sent.'
        }
        @{
            Title   = 'Bulk onboarding from a CSV, with per-row expiry and a report of bad rows'
            Code    = @'
# users.csv:
# UserName,ValidDays
# alice,7
# bob,14
# bad name,7
Import-Csv users.csv | New-ChatInvite -Path ./chat -ErrorVariable bad | Export-Csv invites.csv
$bad | ForEach-Object { $_.ErrorDetails.Message }
'@
            Remarks = 'alice and bob get invites (invites.csv has their UserName, ExpiresAt and Invite columns); the third row is reported as "Input 3 (''bad name''): ..." with the id UserNameInvalid and does not stop the others.'
        }
        @{
            Title   = 'Invite a second device of an existing user'
            Code    = 'New-ChatInvite ./chat alice -AdditionalDevice -ValidFor ''1.00:00:00'''
            Remarks = 'Alice already has a valid certificate; this invite, valid for one day, enrolls another device for her.'
        }
        @{
            Title   = 'Check names before inviting'
            Code    = '''alice'', ''admin'', ''9lives'' | New-ChatInvite ./chat -WhatIf'
            Remarks = 'Shows what would be created. Without -WhatIf, admin fails with UserNameReserved and 9lives with UserNameInvalid, while alice is invited.'
        }
    )
    Links       = @('Get-ChatInvite', 'Revoke-ChatInvite', 'New-ChatCertificate', 'Get-ChatCertificateAuthority', 'about_OpenChat')
}
