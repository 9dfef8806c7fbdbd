@{
    Synopsis    = 'Removes users from a room and from its encryption (a kick, by an admin).'
    Description = @'
Removes each user named in -User from the room: the room's policy marks them Removed and every device of theirs leaves the room's end-to-end encrypted group in the same signed commit, so nothing sent after it can be read on their devices (the messages before it stay readable to them, as they were). The change is checked by every member's client: only a device of an admin may make it.

A removed user may not join the room's encryption again, open room or private, until an admin adds them back (Add-ChatRoomMember). Their client says so (RemovedFromRoom) instead of trying. The server still lists them as members until they leave (Exit-ChatRoom); what the server sends them, they cannot read.

You cannot remove yourself (leave with Exit-ChatRoom instead), and the room never ends without an admin. The command asks for confirmation (its impact is High); -Confirm:$false skips it.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Room    = 'The room to remove the users from. Accepts pipeline input by property name.'
        User    = 'The user names to remove. Alias: UserName. Accepts pipeline input by value and by property name.'
        Session = 'The session to commit through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'User names, bound to -User.' }
        @{ Type = 'OpenChat.ChatRoomMember'; Description = 'Members from Get-ChatRoomMember: their Room and UserName bind by property name.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'Nothing. Every member is told who was removed and by whom.' }
    )
    Notes       = @'
Error ids: NotRoomAdmin, RoomRoleRefused (removing yourself, a direct conversation, or a change the members would refuse), UserNameInvalid, NotConnected, CommitRefused, StaleEpoch, ConnectionLost, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Kick bob out of a room'
            Code    = 'Remove-ChatRoomMember -Room incident -User bob -Confirm:$false'
            Remarks = 'bob''s devices leave the encryption at once; he cannot read the next message.'
        }
        @{
            Title   = 'Remove every member who is not an admin'
            Code    = 'Get-ChatRoomMember incident | Where-Object Role -eq Member | Remove-ChatRoomMember'
            Remarks = 'Room and UserName bind by property name; each removal is confirmed (High impact).'
        }
    )
    Links       = @('Add-ChatRoomMember', 'Set-ChatRoomMember', 'Get-ChatRoomMember', 'Exit-ChatRoom', 'about_OpenChat')
}
