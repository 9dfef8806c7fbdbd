@{
    Synopsis    = 'Creates rooms on purpose and joins them as their first member.'
    Description = @'
Creates each room named in -Name on the server of the session and makes the session's user its first member, with this device founding the room's end-to-end encrypted group. Other users then join it with Join-ChatRoom (or Enter-ChatRoom, or Send-ChatMessage -Room).

Rooms are only ever created this way (or with Join-ChatRoom -Create): joining, entering or sending to a room that does not exist is refused with RoomNotFound, whose message names the nearest existing rooms, so that a typo such as "opss" never becomes a room of its own.

Room names are 1 to 48 characters of letters, digits, '.', '_' and '-', starting with a letter or digit. Capitals are made small on both sides: New-ChatRoom -Name Ops creates the room "ops". Anything else (for example "#ops") is refused with RoomNameInvalid rather than changed. Names starting with @ are direct conversations, which are opened with Join-ChatRoom -User, never created by name.

With -Private, only users an admin adds may join the room's encryption. The creator is the room's first admin in either case (an open room too): admins add users (Add-ChatRoomMember), remove them (Remove-ChatRoomMember) and change roles (Set-ChatRoomMember). Every member's client checks these signed changes, so in a private room neither the server nor a user it mints as the CA can join unseen: the join of a user no admin added is refused by every member, and the user's own client says so (NotInPrivateRoom) before it publishes anything. A room stays private, or open, as it was created.

A room that exists already is refused with RoomExists and is not joined: "new" must not quietly make you a member of a room someone else created under that name. To join a room whether or not it exists yet, use Join-ChatRoom -Create.

The server's limits on new rooms apply: too many new rooms from one connection in a short time is RateLimited (try again in a minute), and a server holding its maximum number of rooms refuses with RoomLimitReached (ask the admin).

Each name is handled on its own: a failure is written as a non-terminating error and the other names are still created.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Private = 'Creates private rooms: only users an admin added (Add-ChatRoomMember) may join their encryption. Without it a room is open: anyone with a certificate of the server may join, and every new member is announced to the others with their safety state.'
        Name    = 'The names of the rooms to create. Capitals are made small. Alias: Room. Accepts pipeline input by value and by property name.'
        Session = 'The session to create the rooms through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Room names, bound to -Name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatRoom'; Description = 'One object per room created: Name (lower case), Kind (Room), LastSequence, IsMember (True) and Session.' }
    )
    Notes       = @'
A protocol note: the room is created by the request CreateRoom (docs/protocol.md); a server of an older version does not know it and refuses it.

Error ids: RoomExists (the room exists: join it with Join-ChatRoom), RoomFoundedByOther (another device founded the room's encryption before yours: nothing was joined), RoomNameInvalid, RoomLimitReached, RateLimited, StaleEpoch, CommitRefused, NotConnected, ConnectionLost, CertificateRevoked, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Create a private room and add a colleague'
            Code    = "New-ChatRoom -Name incident -Private`nAdd-ChatRoomMember -Room incident -User bob"
            Remarks = 'Only alice (the creator, an admin) and bob may join incident; bob joins by entering it (Join-ChatRoom incident).'
        }
        @{
            Title   = 'Create a room'
            Code    = 'New-ChatRoom -Name ops'
            Remarks = 'Creates the room ops through the newest session and returns it; the others join it with Join-ChatRoom ops.'
        }
        @{
            Title   = 'Capitals are made small'
            Code    = 'New-ChatRoom Release-2026.1, Ops -Session $work'
            Remarks = 'Creates release-2026.1 and ops through the session in $work.'
        }
        @{
            Title   = 'A room that exists is an error, not a join'
            Code    = 'New-ChatRoom ops -ErrorAction SilentlyContinue -ErrorVariable problem; $problem.FullyQualifiedErrorId'
            Remarks = 'When ops exists, nothing is created or joined and the error id is RoomExists,OpenChat.Cmdlets.Client.NewChatRoomCommand. Join-ChatRoom ops -Create joins it instead.'
        }
        @{
            Title   = 'Create the rooms of a list'
            Code    = 'Get-Content rooms.txt | New-ChatRoom'
            Remarks = 'One room per line; a name that exists or is invalid is reported and the others are still created.'
        }
    )
    Links       = @('Join-ChatRoom', 'Get-ChatRoom', 'Enter-ChatRoom', 'Send-ChatMessage', 'about_OpenChat')
}
