@{
    Synopsis    = 'Lists the rooms on the chat server that the session''s user can see.'
    Description = @'
Asks the server, through a chat session, for its rooms. The list holds every ordinary room on the server, whether or not the user has joined it, and the direct conversations the user takes part in; other people's direct conversations are never listed. Rooms are sorted by name.

-Name filters by room name, with wildcards and without regard to case. -Joined keeps only the rooms the user is a member of.

Each room reports its Kind (Room for an ordinary room, Direct for a direct conversation between two users, named @<user1>+<user2>), the number of members, the sequence number of its latest message (LastSequence; 0 when it has none) and IsMember. Membership is the user's, not the session's: a room joined from another device counts too.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Name    = 'Returns only rooms whose name matches this pattern. Wildcards are supported; case is ignored. Remember that direct conversations start with @, for example ''@*''.'
        Joined  = 'Returns only the rooms the user is a member of.'
        Session = 'The session to ask through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'An object with a Session property, bound to -Session by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatRoom'; Description = 'One object per room: Name, Kind (Room or Direct), LastSequence, Members, IsMember and Session (the session it was listed through, so that it can be piped to Join-ChatRoom, Exit-ChatRoom or Get-ChatRoomMember).' }
    )
    Notes       = @'
Every user can see, and join, every ordinary room on the server; there are no private rooms in this release apart from direct conversations.

Error ids: NotConnected, ConnectionLost, CertificateRevoked, RateLimited, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'List all rooms'
            Code    = 'Get-ChatRoom'
            Remarks = 'Shows Name, Kind, Members, LastSequence and IsMember for every room of the server and every direct conversation of the user.'
        }
        @{
            Title   = 'List only the rooms you belong to'
            Code    = 'Get-ChatRoom -Joined'
            Remarks = 'Includes direct conversations, whose names start with @.'
        }
        @{
            Title   = 'Find rooms by pattern and join the ones you are not in'
            Code    = 'Get-ChatRoom -Name ''team-*'' | Where-Object { -not $_.IsMember } | Join-ChatRoom'
            Remarks = 'Each room''s name binds to -Room of Join-ChatRoom and its Session to -Session.'
        }
        @{
            Title   = 'List your direct conversations through a particular session'
            Code    = 'Get-ChatRoom -Name ''@*'' -Session $work'
            Remarks = 'Uses the session in $work rather than the newest one.'
        }
    )
    Links       = @('Join-ChatRoom', 'Exit-ChatRoom', 'Get-ChatRoomMember', 'Connect-ChatRoom', 'about_OpenChat')
}
