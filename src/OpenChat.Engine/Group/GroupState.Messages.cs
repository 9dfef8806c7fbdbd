using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Messages of the current epoch: encrypting and signing one here, and verifying and
/// decrypting what others sent in <see cref="MessageProcessor"/>.</summary>
public sealed partial class GroupState
{
    /// <summary>Encrypts and signs a message for the current epoch.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> content, ContentType contentType, DateTimeOffset now)
    {
        if (!IsMember || _keys.Sending is not { } sending)
        {
            throw new CryptoException("This device is not a member of the room's current epoch.");
        }

        if (AnyInvalidMember())
        {
            throw new CryptoException("A member of the current epoch has been revoked or has expired; commit their removal before sending.");
        }

        if (contentType != ContentType.Departure && DepartedMembers.Count > 0)
        {
            throw new CryptoException("A member of the current epoch has left the room; commit their removal before sending.");
        }

        var (generation, key) = sending.Advance();
        Span<byte> iv = stackalloc byte[IvPool.IvLength];
        IvPool.Fill(iv);
        var token = Fernet.EncryptToBytes(key, content, now, iv);
        _keys.CountSent(generation, key);
        CryptographicOperations.ZeroMemory(key);
        return Envelope.Seal(Room, Epoch, _me.UserName, _me.Serial, generation, contentType, token, _me.SigningKey);
    }

    private GroupOutcome ProcessMessage(RoomEvent e, DateTimeOffset at)
    {
        var outcome = MessageProcessor.Process(Position, _roster, _validity, _keys, e, at, _time.GetUtcNow());
        if (outcome.Kind == GroupOutcomeKind.Message)
        {
            // Every sender's messages count towards this device's next key update.
            _leaf.CountMessage();
        }

        return outcome;
    }
}
