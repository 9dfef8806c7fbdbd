@{
    Synopsis    = 'Sends files, end-to-end encrypted, to a room or to another user.'
    Description = @'
Encrypts each file on this machine and sends it to a room (-Room) or to another user (-To). Nothing readable leaves the machine: the file is encrypted under a fresh random 256-bit key of its own, in chunks of 64 KiB with AES-256-GCM (each chunk bound to the file, its place and whether it is the last), and the server stores only these encrypted chunks, under a random id. When every chunk is stored, an ordinary signed, end-to-end encrypted message announces the file to the room: its name, size, SHA-256 and key. Only the members of the room's encrypted group at that moment can read the announcement, and so fetch and decrypt the file (Save-ChatFile). The server learns the file's size and when it was sent, never its name or contents.

One file per input. -Path takes pipeline input by value and by property name (FullName, PSPath), so Get-ChildItem *.log | Send-ChatFile -Room ops sends every log file, one after another. Without -Room and -To the file goes to the session's only room.

Progress. A progress bar shows the bytes the server has stored. If the connection drops during the upload, the command does not fail: once the session is connected again it asks the server which chunks it already holds and sends the rest.

Limits. The server refuses a file over its per-file limit (100 MiB by default; Start-ChatServer -MaxFileBytes) with FileTooLarge, and one that would pass the sender's storage quota (1 GiB by default; -MaxStoredFileBytesPerUser) with FileQuotaExceeded, both before anything is stored. Only members of a room may send files to it (NotAMember).
'@
    Parameters  = @{
        Path    = 'The file to send. Relative paths are resolved against the current PowerShell location. Accepts pipeline input, by value (paths, or the files Get-ChildItem returns) and by property name (FullName, PSPath). Aliases: FullName, PSPath, LiteralPath.'
        Room    = 'The room to send to (entered first if the session has not joined it). The default is the session''s only room. A direct conversation can be named here too (for example ''@alice+bob'').'
        To      = 'Sends the file to this user, in the direct conversation of the two of you. One of their devices must have joined the conversation''s encryption (it does so by itself when online); otherwise the command fails with PeerNotJoined after 10 seconds and nothing is sent.'
        Name    = 'The name the receivers see, at most 255 bytes of UTF-8. The default is the file''s own name. Receivers never trust it as a path: Save-ChatFile sanitises it.'
        Session = 'The session to send through, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Paths of files, bound to -Path.' }
        @{ Type = 'System.IO.FileInfo'; Description = 'Files (for example from Get-ChildItem), bound to -Path by their FullName or PSPath.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.Engine.Client.SentFile'; Description = 'One object per file sent: Room, Sequence (the announcement''s number in the room), FileId, Name, Size and Sha256 (hex), which the receiver''s saved file must match.' }
    )
    Notes       = @'
The announcement is a message like any other: Receive-ChatMessage returns it (with its Attachment), Enter-ChatRoom shows it with the file's name and size, and /save there fetches it.

Files stay on the server and count against the sender's quota; an upload that was never completed is deleted after 24 hours.

Error ids: FileTooLarge, FileQuotaExceeded, FileNotFound (no such file to send), FileNameInvalid (a -Name over 255 bytes), NotAMember, RoomNotFound, PeerNotJoined, NotConnected, ConnectionLost, RateLimited, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Send a build log to a room'
            Code    = 'Send-ChatFile -Room ops -Path ./build.log'
            Remarks = 'Encrypts build.log, uploads it with a progress bar and announces it in ops. The output says its size and SHA-256.'
        }
        @{
            Title   = 'Send every log file of a folder'
            Code    = 'Get-ChildItem ./logs/*.log | Send-ChatFile -Room ops'
            Remarks = 'Each file Get-ChildItem returns binds to -Path by its property, and is sent as its own attachment, in order.'
        }
        @{
            Title   = 'Send a file to one person under another name'
            Code    = 'Send-ChatFile -To bob -Path ./out/report-final-v3.pdf -Name report.pdf'
            Remarks = 'Sends to the direct conversation with bob; bob sees the file as report.pdf.'
        }
    )
    Links       = @('Save-ChatFile', 'Receive-ChatMessage', 'Enter-ChatRoom', 'Start-ChatServer', 'about_OpenChat')
}
