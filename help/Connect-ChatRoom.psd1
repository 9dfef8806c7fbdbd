@{
    Synopsis    = 'Connects to a chat server as an enrolled identity and optionally joins rooms.'
    Description = @'
Opens a session with the chat server of an identity created by Register-ChatUser, joins the rooms given in -Room, and returns the session. The session stays open in the background until Disconnect-ChatRoom closes it or PowerShell exits.

Choosing the identity. -Identity takes an identity's name (user@host-port, as Get-ChatIdentity shows it), a user name when only one identity has it, or the full path of a profile directory. Without -Identity the profile root must hold exactly one identity; when it holds several the command fails with ProfileAmbiguous and lists them. The profile root is -ProfilePath, otherwise $env:OPENCHAT_HOME, otherwise ~/.openchat. If the private key is encrypted and -Password is not given, an interactive PowerShell asks for the password at a hidden prompt that names the identity; where nobody can be asked (pwsh -NonInteractive, input from a pipe, a host that cannot prompt) the command fails with ProfilePasswordWrong, as it does for a wrong password, typed or given.

Checking the server. The connection uses TLS 1.3 and presents the identity's certificate (mutual TLS). The server must present a certificate that chains to the CA pinned in the profile, and to nothing else (the system's certificate store is never used), that is valid for server authentication and that names the host being dialled. A server that fails these checks is refused with ServerNotTrusted before anything is sent to it. If the server does not accept the identity (revoked, expired or from another CA), the command fails with ConnectionRefused. An unreachable server fails with ServerUnreachable; the first connection is not retried.

One session per identity. An identity can be connected by only one session at a time, in this or any other process, because the session's encryption state (ratchets, epoch secrets) must never be used twice. A second Connect-ChatRoom for an identity that is already connected fails with ProfileInUse; close the other session with Disconnect-ChatRoom first. Two devices of the same user each have their own identity and can be connected together.

Rooms. Every name in -Room is joined, and the user becomes a member of it; a room that does not exist is not created but written as a RoomNotFound error naming the nearest existing rooms (create rooms with New-ChatRoom or Join-ChatRoom -Create). Joining also makes this device a member of the room's end-to-end encrypted group: it publishes its key package (an ECDH key signed by its certificate key) in the room and then creates the group, when the room has none yet, or commits its own join, so that no other member needs to be online. The device can read what is sent from then on, never what was said before it joined. Room names are 1 to 48 characters of letters (capitals are made small), digits, '.', '_' and '-', starting with a letter or digit. If a room cannot be joined (for example RoomNameInvalid), the command writes the error, closes the connection and returns no session.

A session that looks after itself. If the connection drops, the session reconnects by itself, waiting 50 milliseconds at first and doubling the wait up to 5 seconds between attempts, for as long as it takes. After reconnecting it rejoins its rooms, fetches the messages it missed from the last sequence it had, and resends every message the server had not yet acknowledged, with the same message id, so that the server stores it only once. Messages that arrive, live or while catching up, are verified and decrypted in the background and wait for Receive-ChatMessage. Its State is Connected, Reconnecting or Closed. It closes for good, without retrying, when the server refuses the identity: after the admin revokes the certificate, later commands on the session fail with CertificateRevoked. The last sequence read per room and the unacknowledged messages are kept in state.json in the profile directory, and the encryption state (the device's agreement key, each room's epoch secret and sender ratchets, messages not yet read, and messages sent but not yet stored by the server, as typed) in e2e.state, encrypted under a key derived from the identity's private key, so all of it survives a restart of PowerShell. Direct conversations that someone else opens with this user are joined, encryption included, as soon as the session learns of them.

The default session. Sessions are remembered in this PowerShell process. Send-ChatMessage, Receive-ChatMessage, Get-ChatContact, Confirm-ChatContact, Get-ChatRoom, Get-ChatRoomMember, Join-ChatRoom, Exit-ChatRoom and Disconnect-ChatRoom use the newest session that is not closed unless they are given -Session.

Presence. While at least one session of a user is connected, the user is shown as online in every room they belong to; when the last one closes, as away since that moment (see Get-ChatRoomMember).

Events. The session object raises StateChanged (arguments: State and Reason, for example Reconnecting/ConnectionLost or Closed/CertificateRevoked) and PresenceChanged (a member of one of its rooms came online or went away). Both are raised on a background thread and can be watched with Register-ObjectEvent.
'@
    Parameters  = @{
        Room           = 'The existing rooms to join once connected (a missing one is RoomNotFound; New-ChatRoom creates rooms). See the description for the room name rule.'
        Server         = 'The server address to dial, as host:port, instead of the one stored in the identity. The server''s certificate must name this host, so use a name or address that is in it. The identity itself is not changed.'
        Identity       = 'The identity to connect as: its name (user@host-port), its user name when that is unique in the profile root, or the path of its profile directory (relative paths are resolved against the current location). Alias: Path. Accepts pipeline input by property name, so identities from Get-ChatIdentity bind through their Path, whatever profile root they came from.'
        ProfilePath    = 'The root folder that holds identities. The default is $env:OPENCHAT_HOME when it is set, otherwise ~/.openchat. Give the same value that was used with Register-ChatUser and Get-ChatIdentity.'
        Password       = 'The password of the identity''s private key, needed when it was enrolled with Register-ChatUser -Password. Without it, an interactive PowerShell asks for it at a hidden prompt.'
        TimeoutSeconds = 'How long to wait, in seconds, for the server to accept the connection, from 1 to 300. The default is 15. The same limit applies to each later request made through the session (joining, listing rooms and members); a request that gets no answer in time fails with Timeout.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatIdentity'; Description = 'Identities from Get-ChatIdentity or Register-ChatUser; their Path binds to -Identity.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with an Identity or Name property, bound to -Identity by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatSession'; Description = 'The session: Id, UserName, Server, Identity (the profile name), State, Rooms (the rooms it has joined) and PendingMessages (messages sent but not yet acknowledged). It has the events StateChanged and PresenceChanged.' }
    )
    Notes       = @'
Messages are sent with Send-ChatMessage and read with Receive-ChatMessage; both are end-to-end encrypted and signed. Get-ChatContact shows the safety numbers of the people this device has seen.

Both events are raised with the ChatSession as the sender: StateChanged with State and Reason, PresenceChanged with Room, UserName, Online and Time in $EventArgs.

When identities live in a folder other than the default, pass -ProfilePath to Connect-ChatRoom as well, even when piping from Get-ChatIdentity -ProfilePath.

A room that cannot be joined (for example an invalid name) is reported as a non-terminating error; the session is still returned.

Error ids: ProfileNotFound (also when the encryption state in e2e.state cannot be read), ProfileAmbiguous, ProfileInUse, ProfilePasswordWrong, StaleEpoch, ServerAddressInvalid, ServerUnreachable, ServerNotTrusted, ConnectionRefused, VersionUnsupported, Timeout, RoomNameInvalid, RoomNotFound (the room does not exist: the message names the nearest ones), RateLimited.
'@
    Examples    = @(
        @{
            Title   = 'Connect with the only identity on this machine and join a room'
            Code    = 'Connect-ChatRoom general'
            Remarks = 'Connects as the single identity in ~/.openchat, joins the room general, becomes a member of its encrypted group and returns the session. Later commands, such as Send-ChatMessage and Receive-ChatMessage, use this session by default.'
        }
        @{
            Title   = 'Connect as one of several identities, with an encrypted key'
            Code    = @'
$password = Read-Host -AsSecureString -Prompt 'Key password'
$work = Connect-ChatRoom -Identity alice@chat.example.org-7443 -Password $password -Room general, ops
$work.Rooms
'@
            Remarks = 'Names the identity explicitly because several exist, decrypts its key with the password and joins two rooms.'
        }
        @{
            Title   = 'Follow the session''s connection and the presence of others'
            Code    = @'
$session = Connect-ChatRoom -Identity alice -Room ops
Register-ObjectEvent -InputObject $session -EventName StateChanged -SourceIdentifier ChatState -Action {
    Write-Host "Session is $($EventArgs.State) ($($EventArgs.Reason))"
} | Out-Null
Register-ObjectEvent -InputObject $session -EventName PresenceChanged -SourceIdentifier ChatPresence -Action {
    $p = $args[1]
    Write-Host ("{0} is {1} in {2}" -f $p.UserName, ($p.Online ? 'online' : 'away'), $p.Room)
} | Out-Null
'@
            Remarks = 'Prints a line when the connection drops and comes back, and when a member of ops comes online or goes away. The presence record arrives as the second event argument ($args[1]). Remove the subscriptions with Unregister-Event ChatState and Unregister-Event ChatPresence.'
        }
        @{
            Title   = 'Reach the server under another name'
            Code    = 'Connect-ChatRoom -Identity alice -Server chat.internal.example.org:7443'
            Remarks = 'Dials chat.internal.example.org instead of the address stored at enrollment. The server''s certificate must include that name, otherwise the connection is refused with ServerNotTrusted.'
        }
        @{
            Title   = 'Use identities kept in a project folder'
            Code    = 'Get-ChatIdentity -ProfilePath ./profiles | Connect-ChatRoom -ProfilePath ./profiles -Room build'
            Remarks = 'Opens one session per identity in ./profiles and joins each to the room build.'
        }
    )
    Links       = @('Register-ChatUser', 'Get-ChatIdentity', 'Disconnect-ChatRoom', 'Join-ChatRoom', 'Send-ChatMessage', 'Receive-ChatMessage', 'Get-ChatRoom', 'Get-ChatRoomMember', 'about_OpenChat')
}
