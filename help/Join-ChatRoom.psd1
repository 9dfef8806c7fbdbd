@{
    Synopsis    = 'Joins existing rooms (with -Create, creating missing ones), or opens a direct conversation with another user.'
    Description = @'
Makes the session's user a member of rooms and starts receiving them in that session.

Room (the default parameter set): each name in -Room is joined. A room that does not exist is refused with RoomNotFound, and nothing is created: the message names the nearest existing rooms the user can see (at most three, only close ones), for example "There is no room 'opss'. Did you mean: ops? Create it with New-ChatRoom -Name opss.". With -Create, a room that does not exist yet is created instead, with the user as its first member, and one that exists is joined (New-ChatRoom is the form that refuses an existing room with RoomExists). Room names are 1 to 48 characters of letters, digits, '.', '_' and '-', and start with a letter or digit; capitals are made small (Join-ChatRoom Ops joins ops), anything else (for example "#ops") is refused with RoomNameInvalid rather than changed. Joining a room the user already belongs to is allowed and changes nothing. A direct conversation the user belongs to can also be joined by its name (@alice+bob).

Direct: -User opens a direct conversation with each named user: a two-member room named @ followed by the two user names in alphabetical order, joined by + (Join-ChatRoom -User bob run by alice opens @alice+bob). Both users become members. If the other user is online, their sessions learn of the conversation at once; otherwise they find it in Get-ChatRoom when they next connect. The other user must hold a valid certificate on this server (otherwise UserNotFound); a conversation with oneself is refused. Running the command again for the same pair returns the same room. Nobody can create a room whose name starts with @ any other way.

Encryption. Joining also makes this device a member of the room's end-to-end encrypted group. The device publishes its key package (an ECDH key signed by its certificate key) in the room, then either creates the group, when the room has none yet, or commits its own join: a commit that starts a new epoch with a fresh secret wrapped for every current member and for itself. No other member needs to be online for this. The command returns once the device is a member. A device that joins cannot read anything said before it joined; everything sent after its join commit is encrypted for it too. If other members change the group at the same moment, the command catches up and tries again, and fails with StaleEpoch only if the group keeps changing.

Direct conversations and encryption. If you share a room with the other person, their devices' keys (verified in that room) are added to the conversation at once, and they read it when they next connect, even if they are offline now. Otherwise their device joins by itself as soon as one of their sessions is online; until then Send-ChatMessage -To keeps the message Pending in the outbox, waiting for them (WaitingFor), rather than send a message that only the sender could read, and sends it as soon as their device has joined.

Membership is stored by the server and lasts until Exit-ChatRoom; it does not end when the session closes. After a reconnect the session rejoins its rooms by itself.

Each name is handled on its own: a failure (RoomNotFound, RoomNameInvalid, UserNotFound, NotAMember for a direct room name the user is not part of) is written as a non-terminating error and the other names are still joined.

The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        Room    = 'The names of the rooms to join. A room that does not exist is RoomNotFound unless -Create is given. Capitals are made small. Accepts pipeline input by value: strings, or rooms from Get-ChatRoom (whose Session then binds to -Session).'
        Create  = 'Creates each room of -Room that does not exist yet (as New-ChatRoom does) and joins those that exist. Without it, a missing room is refused with RoomNotFound. The server''s limits on new rooms apply (RateLimited, RoomLimitReached).'
        User    = 'The user names of the people to open a direct conversation with, one conversation per name. Alias: To.'
        Session = 'The session to join through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Room names, bound to -Room.' }
        @{ Type = 'OpenChat.ChatRoom'; Description = 'Rooms from Get-ChatRoom; the name binds to -Room and the Session property to -Session.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatRoom'; Description = 'One object per room joined: Name, Kind (Room or Direct), LastSequence, IsMember (True) and Session. Use Get-ChatRoom or Get-ChatRoomMember for the member count and the members.' }
    )
    Notes       = @'
A session that joins a room receives its history from the last sequence it read earlier (kept in the profile), or from the beginning the first time; only what the device is entitled to (what was sent while it was a member of the encrypted group) is decrypted and returned by Receive-ChatMessage. Send-ChatMessage joins a room by itself when given an existing room the session has not joined yet; it never creates one.

Error ids: RoomNotFound (with the nearest rooms; -Create or New-ChatRoom creates it), RoomNameInvalid, UserNameInvalid, UserNotFound, NotAMember, StaleEpoch, CommitRefused, GroupHistoryUnverified, NotConnected, ConnectionLost, CertificateRevoked, RateLimited (also: too many new rooms from one connection), RoomLimitReached, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Join rooms'
            Code    = 'Join-ChatRoom ops, release-2026.1'
            Remarks = 'Joins both rooms through the newest session and returns them. A name that does not exist is reported as RoomNotFound, with the nearest existing rooms, and the other is still joined.'
        }
        @{
            Title   = 'Join a room, creating it if it does not exist yet'
            Code    = 'Join-ChatRoom release-2026.2 -Create'
            Remarks = 'Creates release-2026.2 (the user is its first member) or, when someone created it already, joins it.'
        }
        @{
            Title   = 'Open a direct conversation'
            Code    = 'Join-ChatRoom -User bob'
            Remarks = 'Run by alice, this returns the room @alice+bob of kind Direct. Bob becomes a member too and, if he is connected, his session joins it and its encryption at once; otherwise it does so when he next connects, and what Send-ChatMessage -To bob sends until then waits, Pending, and goes once he has.'
        }
        @{
            Title   = 'Open direct conversations with several people'
            Code    = 'Join-ChatRoom -To carol, dave -Session $work'
            Remarks = 'Opens @alice+carol and @alice+dave (for the user alice) through the session in $work. -To is an alias of -User.'
        }
        @{
            Title   = 'Join every room whose name starts with team-'
            Code    = 'Get-ChatRoom ''team-*'' | Join-ChatRoom'
            Remarks = 'Rooms from Get-ChatRoom bind by value; each is joined through the session it was listed with.'
        }
    )
    Links       = @('New-ChatRoom', 'Exit-ChatRoom', 'Get-ChatRoom', 'Get-ChatRoomMember', 'Connect-ChatRoom', 'Send-ChatMessage', 'Receive-ChatMessage', 'about_OpenChat')
}
