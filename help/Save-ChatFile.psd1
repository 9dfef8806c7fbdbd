@{
    Synopsis    = 'Fetches, verifies and saves the file a chat message carries.'
    Description = @'
Saves the attachment of a message (from Receive-ChatMessage, or the pipeline) into a directory. The file's encrypted chunks are fetched from the server (only members of the room the file was sent to may fetch them); each chunk is decrypted and checked with the key from the signed, end-to-end encrypted announcement, so a chunk that was changed, moved, taken from another file, or a file cut short, is refused (FileCorrupt). The plaintext is written to a hidden partial file in the destination, and only when the whole file's SHA-256 equals the announced one is it renamed to its name.

The name is the sender's word and is never used as a path: path separators and everything before them (so ../../evil becomes evil), drive letters, control and invisible characters, bidi overrides and characters Windows forbids are removed or replaced, a leading dot or dash is dropped, names Windows reserves (CON, NUL, COM1, ...) get a leading underscore, and the result is checked to lie directly in the destination. A file of the same name is never overwritten unless -Force is given: without it the file is saved under the first free numbered name, "name (2).ext", "name (3).ext", and so on.

Progress and resume. A progress bar shows the bytes saved. A dropped connection does not fail the save: it continues once the session is connected again. A save that was stopped (Ctrl+C) leaves its partial file, and running the command again continues from it; the whole file is still checked against the announced SHA-256.

Messages that carry no file are skipped (with a verbose line), so Receive-ChatMessage | Save-ChatFile saves every attachment among the messages.
'@
    Parameters  = @{
        Message     = 'A message with an attachment, as Receive-ChatMessage returns it. Accepts pipeline input.'
        Destination = 'The directory to save into; it must exist. The default is the current PowerShell location. Relative paths are resolved against it.'
        Force       = 'Replaces a file of the same name in the destination. Without it, an existing file is kept and the attachment is saved under a numbered name.'
        Session     = 'The session to fetch through, as returned by Connect-ChatRoom (a member of the message''s room). The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatMessage'; Description = 'Messages from Receive-ChatMessage, bound to -Message; those without an attachment are skipped.' }
    )
    Outputs     = @(
        @{ Type = 'System.IO.FileInfo'; Description = 'The file written, one per attachment saved.' }
    )
    Notes       = @'
Where a file came from: the message's Sender, Verified and SenderTrust say who sent it and whether you have verified them (Confirm-ChatContact). The message's Attachment has the Name, Size, Sha256 and FileId as announced.

Error ids: FileCorrupt (a chunk or the whole file failed its check; nothing is saved), FileNotFound (the server has no such complete file you may fetch, or the destination is not a directory), NotConnected, ConnectionLost, Timeout.
'@
    Examples    = @(
        @{
            Title   = 'Save the files of the messages that arrived'
            Code    = 'Receive-ChatMessage -Room ops | Save-ChatFile -Destination ~/Downloads'
            Remarks = 'Every message with an attachment is saved into ~/Downloads under its sanitised name; text messages are skipped.'
        }
        @{
            Title   = 'Save one file and check where it went'
            Code    = @'
$m = Receive-ChatMessage -Room ops -Wait | Where-Object Attachment | Select-Object -First 1
$file = Save-ChatFile -Message $m -Destination ./in
$file.FullName; (Get-FileHash $file.FullName).Hash -eq $m.Attachment.Sha256
'@
            Remarks = 'Waits for the first attachment in ops, saves it into ./in and shows that its hash is the one announced (Save-ChatFile checked it already).'
        }
        @{
            Title   = 'Replace an earlier copy'
            Code    = '$m | Save-ChatFile -Destination ./in -Force'
            Remarks = 'Overwrites ./in/<name> instead of saving "<name> (2)".'
        }
    )
    Links       = @('Send-ChatFile', 'Receive-ChatMessage', 'Enter-ChatRoom', 'about_OpenChat')
}
