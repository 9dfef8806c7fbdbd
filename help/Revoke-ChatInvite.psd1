@{
    Synopsis    = 'Cancels pending enrollment invites.'
    Description = @'
Cancels invites by id so that they can no longer be redeemed. The invite stays in the store with the status Revoked and the time it was cancelled.

Only a pending invite can be cancelled. An unknown id fails with InviteNotFound; an invite that was already used, cancelled or has expired fails with InviteAlreadyRedeemed, InviteRevoked or InviteExpired. Each id is handled on its own: a failure is a non-terminating error and the other ids are still processed. A data directory without a CA stops the command (CaNotFound).

-Id binds from the pipeline by property name, so the output of Get-ChatInvite or New-ChatInvite can be piped in.

The command supports -WhatIf and -Confirm. Its ConfirmImpact is Medium, so with the default $ConfirmPreference (High) it does not prompt.
'@
    Parameters  = @{
        Path     = 'The data directory of the server that holds the CA.'
        Id       = 'The ids of the invites to cancel, as shown by Get-ChatInvite and New-ChatInvite. Ids are matched exactly; they are lower-case hexadecimal. Accepts pipeline input by property name.'
        PassThru = 'Returns an object for each invite that was cancelled. By default the command writes no output.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatInvite'; Description = 'Invites from Get-ChatInvite or New-ChatInvite; their Id property binds to -Id.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with an Id property, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'By default this cmdlet writes no output.' }
        @{ Type = 'OpenChat.ChatInvite'; Description = 'With -PassThru, one object per cancelled invite, with Status Revoked and RevokedAt set.' }
    )
    Notes       = 'Cancelling an invite does not affect a certificate already issued through it. To remove an enrolled user, use Revoke-ChatCertificate. Error ids: InviteNotFound, InviteAlreadyRedeemed, InviteRevoked, InviteExpired, CaNotFound, StoreUnavailable.'
    Examples    = @(
        @{
            Title   = 'Cancel one invite'
            Code    = 'Revoke-ChatInvite -Path ./chat -Id 22c54db3da628e9f669cb934'
            Remarks = 'The invite can no longer be used to enroll.'
        }
        @{
            Title   = 'Cancel every pending invite of a user'
            Code    = 'Get-ChatInvite ./chat -UserName bob -Status Pending | Revoke-ChatInvite ./chat -PassThru'
            Remarks = 'Each invite''s Id binds to -Id; -PassThru shows the cancelled invites.'
        }
        @{
            Title   = 'Replace an invite whose text was lost'
            Code    = @'
Get-ChatInvite ./chat -UserName alice -Status Pending | Revoke-ChatInvite ./chat
(New-ChatInvite ./chat -UserName alice -Server chat.example.org:7443).Invite
'@
            Remarks = 'The invite text cannot be recovered from the store, so the old invite is cancelled and a new one created.'
        }
    )
    Links       = @('New-ChatInvite', 'Get-ChatInvite', 'Revoke-ChatCertificate', 'about_OpenChat')
}
