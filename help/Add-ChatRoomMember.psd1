@{
    Synopsis    = 'Adds users to a room as members or admins (an admin''s signed change).'
    Description = @'
Adds each user named in -User to the room's policy with the role -Role (Member, the default, or Admin). The change is a commit signed by this device and checked by every member's client: only a device of an admin of the room may make it, and a change by anyone else (the server included) is refused by all of them.

In a private room (New-ChatRoom -Private) only users added this way may join the room's encryption; they join by entering the room themselves (Join-ChatRoom, Enter-ChatRoom or Send-ChatMessage -Room), and nothing is encrypted to their long-term key before they do. In an open room adding a user gives them a role; anyone may join an open room anyway, and every new member is announced to the others with their safety state.

A user an admin removed (Remove-ChatRoomMember) may not join again until an admin adds them back with this command. Adding a user who is already named with that role changes nothing. Adding a member or admin with the other role is refused (RoomRoleRefused) and changes nothing, so adding an admin again by mistake never demotes them: change a role with Set-ChatRoomMember.

Each user is handled on its own: a failure is written as a non-terminating error and the others are still added.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Room    = 'The room, for example incident. Accepts pipeline input by property name.'
        User    = 'The user names to add. Alias: UserName. Accepts pipeline input by value and by property name.'
        Role    = 'Member (the default) or Admin. An admin may add, remove and change the role of others.'
        Session = 'The session to commit through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'User names, bound to -User.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'Nothing. Get-ChatRoomMember shows the roles afterwards.' }
    )
    Notes       = @'
The server, as the CA, can still mint a certificate for a user you added: such a device gets in, and every member's client announces it loudly as a NEW DEVICE whose keys changed. Compare safety numbers (Get-ChatContact, Confirm-ChatContact).

Error ids: NotRoomAdmin (this user is not an admin of the room), RoomRoleRefused (the user is already in with the other role, the members would refuse the change, or the room is a direct conversation), UserNameInvalid, NotAMember, NotConnected, CommitRefused, StaleEpoch, ConnectionLost, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Let bob into a private room'
            Code    = "New-ChatRoom -Name incident -Private`nAdd-ChatRoomMember -Room incident -User bob"
            Remarks = 'bob may now join incident; anyone else the room does not name is refused by every member.'
        }
        @{
            Title   = 'Add two admins at once'
            Code    = "'carol', 'dave' | Add-ChatRoomMember -Room incident -Role Admin"
            Remarks = 'Each name from the pipeline is added as an admin, in its own signed commit.'
        }
    )
    Links       = @('Remove-ChatRoomMember', 'Set-ChatRoomMember', 'Get-ChatRoomMember', 'New-ChatRoom', 'about_OpenChat')
}
