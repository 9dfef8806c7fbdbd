using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

public enum ContentType : byte
{
    Text = 1,

    /// <summary>The sender's user is leaving the room: signed by one of that user's devices, it is
    /// the only thing that makes the other members remove that user's devices (the server's
    /// member list is not trusted for that). Its content is empty.</summary>
    Departure = 2,

    /// <summary>An attachment: the content is a <see cref="Files.FileAttachment"/> (the file's id,
    /// name, size, hash and key); the file itself is stored by the server as encrypted chunks.</summary>
    File = 3,
}

/// <summary>
/// What a chat event's body holds: version, room, epoch, sender, the sender's certificate
/// serial, generation and content type in the clear (for routing keys), the Fernet token of the
/// content under the per-message key, and a P1363 signature by the sender's certificate key
/// over all of it. The sender's identity is inside the signature, so nobody can re-label it.
/// </summary>
/// <remarks>
/// Version 2 (written) carries the token as a <c>bytes</c> field, the token's binary form, so a
/// message's size is bounded by the frame (see <see cref="FrameLimits.MaxTextBytes"/>), not by a
/// string field. Version 1 carried it as a <c>str</c> (base64url, at most 4096 bytes, so about
/// 3,000 bytes of text); it is still read, so history stored before stays readable.
/// <see cref="Token"/> is the base64url token in both.
/// </remarks>
public sealed record Envelope(string Room, ulong Epoch, string Sender, string SenderSerial, uint Generation, ContentType ContentType, string Token, byte[] Signature)
{
    public const byte Version = 2;

    /// <summary>The first version, read but no longer written.</summary>
    public const byte Version1 = 1;

    /// <summary>The version this envelope was read as (or is written as): it decides the layout
    /// that the signature covers.</summary>
    public byte Format { get; init; } = Version;

    public byte[] ToBytes() => Write(true);

    internal byte[] SignedPart() => Write(false);

    public static Envelope Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var r = new PayloadReader(bytes);
            var format = r.U8();
            if (format is not (Version or Version1))
            {
                throw new CryptoException("Unknown envelope version.");
            }

            var (room, epoch, sender, serial, generation, contentType) = (r.String(), r.U64(), r.String(), r.String(), r.U32(), (ContentType)r.U8());
            var token = format == Version1
                ? r.String()
                : Fernet.ToBase64Url(r.Bytes());
            var envelope = new Envelope(room, epoch, sender, serial, generation, contentType, token, r.Bytes()) { Format = format };
            r.End();
            return envelope;
        }
        catch (ProtocolException e)
        {
            throw new CryptoException($"Malformed envelope: {e.Message}");
        }
    }

    private byte[] Write(bool withSignature)
    {
        var w = PayloadWriter.Body(Token.Length + 160).U8(Format).String(Room).U64(Epoch).String(Sender).String(SenderSerial)
            .U32(Generation).U8((byte)ContentType);
        if (Format == Version1)
        {
            w.String(Token);
        }
        else
        {
            w.Bytes(Token.Length == 0 ? [] : Fernet.FromBase64Url(Token) ?? throw new CryptoException("The envelope's token is not base64url."));
        }

        if (withSignature)
        {
            w.Bytes(Signature);
        }

        return w.ToBody();
    }
}
