using System.Text;
using OpenChat.Engine.Files;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>A file as sent: where it was announced, and what the announcement says (no key).</summary>
public sealed record SentFile(string Room, ulong Sequence, Guid FileId, string Name, ulong Size, string Sha256);

// Files: uploaded encrypted (FileUpload), announced by an ordinary signed, encrypted message,
// fetched, checked and saved by whoever reads that message (FileDownload).
public sealed partial class SecureSession
{
    /// <summary>
    /// Encrypts the file at <paramref name="path"/> under a fresh key, uploads its chunks to
    /// <paramref name="room"/> (resuming over dropped connections), then announces it in the room
    /// with its name (<paramref name="name"/>, else the file's own), size, SHA-256 and key.
    /// <paramref name="progress"/> gets the plaintext bytes the server has acknowledged.
    /// </summary>
    public async Task<SentFile> SendFileAsync(string room, string path, string? name = null, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        room = RoomNames.Normalize(room); // -Room Ops is ops, as for messages
        name ??= Path.GetFileName(path);
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes is 0 or > FileLimits.MaxNameBytes)
        {
            throw new OpenChatException(ErrorIds.FileNameInvalid, ErrorKind.InvalidArgument,
                $"A file's name may have 1 to {FileLimits.MaxNameBytes} bytes of UTF-8; this one has {nameBytes}.");
        }

        if (RoomNames.IsDirect(room))
        {
            _ = _membership.DirectPeer(room); // ours, and well formed
        }
        else
        {
            RoomNames.Validate(room);
        }

        var group = _rooms[room];
        if (RoomNames.IsDirect(room) && !_client.JoinedRooms.Contains(room))
        {
            await _membership.OpenDirectAsync(_membership.DirectPeer(room), cancellationToken).ConfigureAwait(false);
        }

        // Entered first: the server lets only members upload, and the announcement needs the group.
        if (!group.Read(s => s.IsMember) || !_client.JoinedRooms.Contains(room))
        {
            await _membership.EnterAsync(room, cancellationToken).ConfigureAwait(false);
        }

        if (RoomNames.IsDirect(room))
        {
            // A file is not kept for later like a text: the upload needs the peer in the group now.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await _sender.WaitForPeerAsync(room, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OpenChatException(ErrorIds.PeerNotJoined, ErrorKind.Unavailable,
                    $"The other person in '{UserNamePolicy.Printable(room)}' has no device in this conversation's encryption yet (they join by themselves when next online). Send the file once they have been online; a text message (Send-ChatMessage -To) waits for them.");
            }
        }

        var attachment = await new FileUpload(_client, _log).RunAsync(room, path, name, progress, cancellationToken).ConfigureAwait(false);
        var sequence = await _sender.PublishAsync(group, attachment.ToBytes(), ContentType.File, cancellationToken).ConfigureAwait(false);
        return new SentFile(room, sequence, attachment.FileId, attachment.Name, attachment.Size, attachment.HashHex);
    }

    /// <summary>
    /// Fetches the file a message announced, verifies every chunk and the whole file's SHA-256,
    /// and writes it into <paramref name="directory"/> under its sanitised name (see
    /// <see cref="SafeFileName"/>): replacing a file of that name only when
    /// <paramref name="overwrite"/>, else under the first free numbered name. A save cut off
    /// earlier continues where it stopped. Returns the full path written.
    /// </summary>
    public Task<string> SaveFileAsync(SecureMessage message, string directory, bool overwrite = false, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var attachment = message.Attachment ?? throw new OpenChatException(ErrorIds.NotAnAttachment, ErrorKind.InvalidArgument,
            $"The message {message.Sequence} in '{UserNamePolicy.Printable(message.Room)}' carries no file.");
        if (!Directory.Exists(directory))
        {
            throw new OpenChatException(ErrorIds.FileNotFound, ErrorKind.NotFound, $"The destination '{directory}' is not a directory.");
        }

        return new FileDownload(_client, _log).RunAsync(attachment, directory, overwrite, progress, cancellationToken);
    }
}
