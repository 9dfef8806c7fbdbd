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
}

/// <summary>
/// What a chat event's body holds: version, room, epoch, sender, the sender's certificate
/// serial, generation and content type in the clear (for routing keys), the Fernet token of the
/// content under the per-message key, and a P1363 signature by the sender's certificate key
/// over all of it. The sender's identity is inside the signature, so nobody can re-label it.
/// </summary>
public sealed record Envelope(string Room, ulong Epoch, string Sender, string SenderSerial, uint Generation, ContentType ContentType, string Token, byte[] Signature)
{
    public const byte Version = 1;

    public byte[] ToBytes() => Write(true);

    internal byte[] SignedPart() => Write(false);

    public static Envelope Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var r = new PayloadReader(bytes);
            if (r.U8() != Version)
            {
                throw new CryptoException("Unknown envelope version.");
            }

            var envelope = new Envelope(r.String(), r.U64(), r.String(), r.String(), r.U32(), (ContentType)r.U8(), r.String(), r.Bytes());
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
        var w = PayloadWriter.Body(Token.Length + 160).U8(Version).String(Room).U64(Epoch).String(Sender).String(SenderSerial)
            .U32(Generation).U8((byte)ContentType).String(Token);
        if (withSignature)
        {
            w.Bytes(Signature);
        }

        return w.ToBody();
    }
}
