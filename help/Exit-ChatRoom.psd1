@{
    Synopsis    = 'Leaves rooms: the user''s membership ends.'
    Description = @'
Ends the session's user's membership of each room in -Room, and with it the user's access to what is said there afterwards. This is different from Disconnect-ChatRoom, which only closes a connection: after Exit-ChatRoom the user is no longer a member and is no longer listed by Get-ChatRoomMember; the session stops receiving the room, and the server no longer serves the user the room's history or accepts messages from the user for it. Joining again later resumes the room's history after the last event this device processed.

Membership belongs to the user, so leaving from one device ends it for all of them. An ordinary room can be joined again later with Join-ChatRoom; a direct conversation is reopened when either user runs Join-ChatRoom -User for the other. Leaving does not delete the room or its messages.

The command supports -WhatIf and -Confirm. Its ConfirmImpact is Medium, so it does not ask unless $ConfirmPreference is Medium or lower or -Confirm is given.

Each room is handled on its own: a room the user is not a member of (or that does not exist) produces a non-terminating NotAMember error and the others are still left.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Room    = 'The names of the rooms to leave, including direct conversations (for example @alice+bob). Alias: Name. Accepts pipeline input by value and by property name, so rooms from Get-ChatRoom can be piped in.'
        Session = 'The session to leave through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Room names, bound to -Room.' }
        @{ Type = 'OpenChat.ChatRoom'; Description = 'Rooms from Get-ChatRoom or Join-ChatRoom; Name binds to -Room and Session to -Session.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'This cmdlet writes no output.' }
    )
    Notes       = @'
Leaving also ends the user's part in the room's end-to-end encryption. Before the membership ends, this device sends a departure: an encrypted message signed with its certificate key, which every member verifies. Each remaining device shows it as a notice and, before the next message any of them sends, commits the removal of all of the leaver's devices: a new epoch whose secret is wrapped only for those who stay. Whatever is said after that cannot be read by the leaver, even with a copy of the server's database. Only a signed departure (or a revoked certificate) removes a member: the server's member list is not trusted for that, so a server cannot push someone out of the encryption by dropping them from its list.

Leaving deletes the encryption state this device kept for the room in its profile. Joining again later makes the device a member of the group again from that moment (Join-ChatRoom); what was said while it was away stays unreadable to it.

Error ids: NotAMember, NotConnected, ConnectionLost, CertificateRevoked, RateLimited, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Leave a room'
            Code    = 'Exit-ChatRoom release-2025.4'
            Remarks = 'Ends the membership of the newest session''s user in release-2025.4.'
        }
        @{
            Title   = 'Preview, then leave every room matching a pattern'
            Code    = @'
Get-ChatRoom 'release-*' -Joined | Exit-ChatRoom -WhatIf
Get-ChatRoom 'release-*' -Joined | Exit-ChatRoom -Confirm
'@
            Remarks = 'The first line prints what would be left; the second asks before leaving each room. The rooms'' Name and Session bind by property name.'
        }
        @{
            Title   = 'Leave a direct conversation'
            Code    = 'Exit-ChatRoom ''@alice+bob'''
            Remarks = 'Quote the name: in PowerShell a word starting with @ is otherwise read as splatting. The other user stays a member; the conversation comes back if either user opens it again with Join-ChatRoom -User.'
        }
    )
    Links       = @('Join-ChatRoom', 'Get-ChatRoom', 'Disconnect-ChatRoom', 'about_OpenChat')
}
