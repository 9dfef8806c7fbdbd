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

    // What Parse read, so a received message is verified over the bytes that came and its token is
    // not encoded to base64url and back. Not copied by `with`: a changed envelope is written anew.
    private byte[]? _signedPart;
    private byte[]? _tokenBytes;

    private Envelope(Envelope original)
    {
        (Room, Epoch, Sender, SenderSerial, Generation, ContentType, Token, Signature) =
            (original.Room, original.Epoch, original.Sender, original.SenderSerial, original.Generation, original.ContentType, original.Token, original.Signature);
        Format = original.Format;
    }

    public byte[] ToBytes() => SignedFields().Bytes(Signature).ToBody();

    internal byte[] SignedPart() => _signedPart ?? SignedFields().ToBody();

    /// <summary>The token's binary form (what <see cref="Token"/> encodes).</summary>
    internal byte[] TokenBytes() => _tokenBytes ?? (Token.Length == 0 ? [] : Fernet.FromBase64Url(Token) ?? throw new CryptoException("The envelope's token is not base64url."));

    /// <summary>A new envelope's bytes, signed by <paramref name="signingKey"/>, written once.</summary>
    internal static byte[] Seal(string room, ulong epoch, string sender, string senderSerial, uint generation, ContentType contentType, byte[] token,
        System.Security.Cryptography.ECDsa signingKey)
    {
        var w = Fields(Version, room, epoch, sender, senderSerial, generation, contentType, token.Length).Bytes(token);
        return w.Bytes(Signatures.Sign(signingKey, w.Written)).ToBody();
    }

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
            string token;
            byte[]? tokenBytes = null;
            if (format == Version1)
            {
                token = r.String();
            }
            else
            {
                tokenBytes = r.Bytes();
                token = Fernet.ToBase64Url(tokenBytes);
            }

            // The fields decode one way only (lengths are exact, UTF-8 is strict), so the bytes up
            // to the signature are what writing these fields again would give.
            var signedPart = bytes[..r.Position].ToArray();
            var envelope = new Envelope(room, epoch, sender, serial, generation, contentType, token, r.Bytes())
            {
                Format = format,
                _signedPart = signedPart,
                _tokenBytes = tokenBytes,
            };
            r.End();
            return envelope;
        }
        catch (ProtocolException e)
        {
            throw new CryptoException($"Malformed envelope: {e.Message}");
        }
    }

    private PayloadWriter SignedFields()
    {
        var w = Fields(Format, Room, Epoch, Sender, SenderSerial, Generation, ContentType, Token.Length);
        return Format == Version1 ? w.String(Token) : w.Bytes(TokenBytes());
    }

    private static PayloadWriter Fields(byte format, string room, ulong epoch, string sender, string senderSerial, uint generation, ContentType contentType,
        int tokenLength) =>
        PayloadWriter.Body(tokenLength + 160).U8(format).String(room).U64(epoch).String(sender).String(senderSerial).U32(generation).U8((byte)contentType);
}
