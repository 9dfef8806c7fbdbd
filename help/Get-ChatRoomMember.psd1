@{
    Synopsis    = 'Lists the members of a room and whether each is online.'
    Description = @'
Asks the server, through a chat session, for the members of a room the session's user belongs to, sorted by user name. For each member it reports whether the member is online (has at least one connected session) and, for a member who is not, since when: AwaySince is the time the member's last connection closed. InEncryption says whether one of the member's devices is in the room's end-to-end encrypted group as this device has verified it from the room's signed commits; the list of members itself is the server's word, the InEncryption column is not. Role is the member's role in the room's signed policy as this device verified it: Admin, Member, Removed (an admin removed them; they cannot read what is sent since), or empty when the policy does not name them (a member of an open room). In a private room, users an admin added who have not joined on the server yet are listed too, with their role and Online False.

Only members can list a room. A room the user is not a member of, and a room that does not exist, both fail with NotAMember, so that nobody can find out which rooms exist by probing names. Direct conversations are listed by their room name, for example @alice+bob.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected. To be told of changes as they happen, watch the session's PresenceChanged event (see Connect-ChatRoom).
'@
    Parameters  = @{
        Room    = 'The name of the room, for example general or @alice+bob. Alias: Name. Accepts pipeline input by property name, so rooms from Get-ChatRoom or Join-ChatRoom can be piped in.'
        Session = 'The session to ask through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatRoom'; Description = 'Rooms from Get-ChatRoom or Join-ChatRoom; their Name binds to -Room and their Session to -Session.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatRoomMember'; Description = 'One object per member: Room, UserName, Online, AwaySince (empty while the member is online, or when the member has not been connected since the server started), InEncryption (a device of the member is in the verified encrypted group) and Role (Admin, Member, Removed, or empty).' }
    )
    Notes       = @'
Presence is kept in the server's memory: after the server restarts, AwaySince stays empty for members who have not connected since.

Error ids: NotAMember, NotConnected, ConnectionLost, CertificateRevoked, RateLimited, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'See who is in a room'
            Code    = 'Get-ChatRoomMember general'
            Remarks = 'Lists the members of general with Online and AwaySince.'
        }
        @{
            Title   = 'Show who is online in every room you belong to'
            Code    = 'Get-ChatRoom -Joined | Get-ChatRoomMember | Where-Object Online | Group-Object Room | Format-Table Name, @{ n = ''Online''; e = { $_.Group.UserName -join '', '' } }'
            Remarks = 'Each room''s Name and Session bind by property name; the result is one line per room with the names of the members who are online.'
        }
        @{
            Title   = 'List the admins of a room'
            Code    = 'Get-ChatRoomMember ops | Where-Object Role -eq Admin'
            Remarks = 'Role comes from the room''s signed policy as this device verified it, not from the server.'
        }
        @{
            Title   = 'Find members who have been away for more than a day'
            Code    = 'Get-ChatRoomMember ops | Where-Object { $_.AwaySince -and $_.AwaySince -lt (Get-Date).AddDays(-1) }'
            Remarks = 'AwaySince is a DateTimeOffset in UTC; members who are online have none.'
        }
    )
    Links       = @('Get-ChatRoom', 'Join-ChatRoom', 'Connect-ChatRoom', 'about_OpenChat')
}
