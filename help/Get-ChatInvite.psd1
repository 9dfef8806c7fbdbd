@{
    Synopsis    = 'Lists the enrollment invites of an OpenChat certificate authority.'
    Description = @'
Reads the invites recorded in the data directory's store (openchat.db) and returns one object per invite with its current status:

Pending: not used, not cancelled and not expired.

Redeemed: used to enroll.

Revoked: cancelled with Revoke-ChatInvite.

Expired: its time ran out before it was used.

Without filters every invite is returned, oldest first. The filters combine: an invite is returned only when it passes every filter given.

The invite text itself cannot be shown: the CA keeps only a hash of each invite's secret. The Invite property is therefore always empty in this command's output.

-UserName and -Id bind from the pipeline by property name.
'@
    Parameters  = @{
        Path     = 'The data directory of the server that holds the CA. By default, that of the chat server running in this session (Start-ChatServer); with none or several running, -Path is required.'
        UserName = 'Returns only invites for user names matching one of these. Matching is case-insensitive and wildcards (*, ?, [a-z]) are allowed. Alias: User. Accepts pipeline input by property name.'
        Id       = 'Returns only the invites with these ids (case-insensitive). Accepts pipeline input by property name.'
        Status   = 'Returns only invites whose current status is one of these: Pending, Redeemed, Expired, Revoked.'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects with UserName or Id properties, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatInvite'; Description = 'One object per matching invite: Id, UserName, Server, Status, CreatedAt, ExpiresAt, RedeemedAt, RevokedAt, CancelReason and AdditionalDevice. Invite is empty. CancelReason says why a Revoked invite was cancelled when Revoke-ChatInvite did not do it: for example that the user''s last certificate was revoked, which cancels every pending invite for that user.' }
    )
    Notes       = 'Status is computed when the command runs. Revoked and Redeemed take precedence over Expired.'
    Examples    = @(
        @{
            Title   = 'Without -Path, on the server this session runs'
            Code    = '$server = Start-ChatServer -Path ./chat -Port 0; Get-ChatInvite' 
            Remarks = 'With one server started in this session, its data directory is the default. With none or several, the command asks for -Path (DataPathRequired).'
        }
        @{
            Title   = 'List invites that have not been used yet'
            Code    = 'Get-ChatInvite -Path ./chat -Status Pending'
            Remarks = 'Shows id, user, server, status and creation time of every invite that can still be redeemed.'
        }
        @{
            Title   = 'Show the invites of one user'
            Code    = 'Get-ChatInvite ./chat -UserName alice | Format-List'
            Remarks = 'Shows every invite ever created for Alice with its status and dates.'
        }
        @{
            Title   = 'Find invites that expired unused'
            Code    = @'
Get-ChatInvite ./chat -Status Expired |
    Select-Object UserName, CreatedAt, ExpiresAt |
    Sort-Object ExpiresAt
'@
            Remarks = 'Lists the people who never enrolled, to follow up with them or send a new invite.'
        }
    )
    Links       = @('New-ChatInvite', 'Revoke-ChatInvite', 'about_OpenChat')
}
