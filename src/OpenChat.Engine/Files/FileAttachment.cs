using System.Text;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Files;

/// <summary>
/// What an attachment message carries (content type <see cref="Group.ContentType.File"/>): the
/// file's id on the server, its name as the sender gave it, its size and chunking, the SHA-256
/// of its plaintext and the key of its chunks. It travels only inside a signed, end-to-end
/// encrypted message, so the server never learns the name, the hash or the key.
/// </summary>
/// <remarks>The name is the sender's word: it is sanitised (<see cref="SafeFileName"/>) before it
/// names anything on disk, and neutralised before it reaches a terminal.</remarks>
public sealed record FileAttachment(Guid FileId, string Name, ulong Size, uint ChunkSize, uint ChunkCount, byte[] Sha256, byte[] Key)
{
    public const byte Version = 1;

    public byte[] ToBytes() =>
        PayloadWriter.Body(128 + Name.Length).U8(Version).Id(FileId).String(Name).U64(Size).U32(ChunkSize).U32(ChunkCount)
            .Bytes(Sha256).Bytes(Key).ToBody();

    /// <summary>Reads and checks an announcement: a known version, a name of 1 to 255 bytes, a
    /// size consistent with the chunks, a 32-byte hash and key. Anything else is refused
    /// (<see cref="CryptoException"/>), never half-read.</summary>
    public static FileAttachment Parse(ReadOnlySpan<byte> content)
    {
        FileAttachment attachment;
        try
        {
            var r = new PayloadReader(content);
            var version = r.U8();
            if (version != Version)
            {
                throw new CryptoException($"Unknown attachment version {version}.");
            }

            attachment = new FileAttachment(r.Id(), r.String(), r.U64(), r.U32(), r.U32(), r.Bytes(), r.Bytes());
            r.End();
        }
        catch (ProtocolException e)
        {
            throw new CryptoException($"Malformed attachment: {e.Message}");
        }

        var nameBytes = Encoding.UTF8.GetByteCount(attachment.Name);
        if (nameBytes is 0 or > FileLimits.MaxNameBytes)
        {
            throw new CryptoException($"The attachment's name is {nameBytes} bytes; 1 to {FileLimits.MaxNameBytes} are allowed.");
        }

        if (!FileLimits.Consistent(attachment.Size, attachment.ChunkSize, attachment.ChunkCount))
        {
            throw new CryptoException("The attachment's size does not match its chunks.");
        }

        if (attachment.Sha256.Length != 32 || attachment.Key.Length != FileChunkCipher.KeySize)
        {
            throw new CryptoException("The attachment's hash or key has the wrong length.");
        }

        return attachment;
    }

    /// <summary>The SHA-256 of the plaintext as lower-case hex.</summary>
    public string HashHex => Convert.ToHexStringLower(Sha256);

    // The key is secret: never in a record's printed form (logs, debuggers, test output).
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"FileId = {FileId}, Name = {Name}, Size = {Size}, ChunkCount = {ChunkCount}");
        return true;
    }
}
