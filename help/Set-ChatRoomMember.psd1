@{
    Synopsis    = 'Makes room members admins, or admins members again (an admin''s signed change).'
    Description = @'
Gives each user named in -User the role -Role in the room's policy: Admin (may add, remove and change the role of others) or Member. The users must be members of the room already (named by its policy, or, in an open room, with a device in its encryption); to let a new user in, use Add-ChatRoomMember.

The change is a commit signed by this device and checked by every member's client: only a device of an admin may make it. A room never ends without an admin: demoting the last admin is refused (RoomRoleRefused) before anything is sent, and would be refused by every member anyway.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Room    = 'The room. Accepts pipeline input by property name.'
        User    = 'The user names whose role changes. Alias: UserName. Accepts pipeline input by value and by property name.'
        Role    = 'Admin or Member.'
        Session = 'The session to commit through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'User names, bound to -User.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'Nothing. Every member is told whose role changed and by whom.' }
    )
    Notes       = @'
Error ids: NotRoomAdmin, NotAMember (the user is not a member of the room), RoomRoleRefused (the last admin, or a direct conversation), UserNameInvalid, NotConnected, CommitRefused, StaleEpoch, ConnectionLost, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Make bob an admin'
            Code    = 'Set-ChatRoomMember -Room incident -User bob -Role Admin'
            Remarks = 'bob may now add and remove members of incident himself.'
        }
        @{
            Title   = 'Step down after handing over'
            Code    = "Set-ChatRoomMember -Room incident -User bob -Role Admin`nSet-ChatRoomMember -Room incident -User alice -Role Member"
            Remarks = 'The second change is allowed because bob is an admin by then.'
        }
    )
    Links       = @('Add-ChatRoomMember', 'Remove-ChatRoomMember', 'Get-ChatRoomMember', 'about_OpenChat')
}
