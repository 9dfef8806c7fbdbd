using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Messages of the current epoch: encrypting and signing one, and verifying and
/// decrypting what others sent.</summary>
public sealed partial class GroupState
{
    /// <summary>Encrypts and signs a message for the current epoch.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> content, ContentType contentType, DateTimeOffset now)
    {
        if (!IsMember || _sending is null)
        {
            throw new CryptoException("This device is not a member of the room's current epoch.");
        }

        if (InvalidMembers.Count > 0)
        {
            throw new CryptoException("A member of the current epoch has been revoked or has expired; commit their removal before sending.");
        }

        if (contentType != ContentType.Departure && DepartedMembers.Count > 0)
        {
            throw new CryptoException("A member of the current epoch has left the room; commit their removal before sending.");
        }

        var (generation, key) = _sending.Advance();
        var token = Fernet.Encrypt(key, content, now, RandomNumberGenerator.GetBytes(16));
        CryptographicOperations.ZeroMemory(key);
        var unsigned = new Envelope(Room, Epoch, _me.UserName, _me.Serial, generation, contentType, token, []);
        _sentInEpoch++;
        return (unsigned with { Signature = Signatures.Sign(_me.SigningKey, unsigned.SignedPart()) }).ToBytes();
    }

    private GroupOutcome ProcessMessage(RoomEvent e, DateTimeOffset at)
    {
        var envelope = Envelope.Parse(e.Body);
        if (!string.Equals(envelope.Room, Room, StringComparison.Ordinal))
        {
            return GroupOutcome.Reject("message for another room");
        }

        if (envelope.Epoch < Epoch)
        {
            return GroupOutcome.Reject("stale epoch: sent in an epoch that has ended");
        }

        if (envelope.Epoch > Epoch)
        {
            return GroupOutcome.Reject("unknown epoch: a commit is missing");
        }

        if (!_members.Contains(envelope.SenderSerial, StringComparer.OrdinalIgnoreCase) || !_packages.TryGetValue(envelope.SenderSerial, out var sender))
        {
            return GroupOutcome.Reject("sender is not a member of this epoch");
        }

        if (!string.Equals(sender.UserName, envelope.Sender, StringComparison.Ordinal))
        {
            return GroupOutcome.Reject("sender name does not match the sender's certificate");
        }

        if (!ValidAt(sender, at, out var why))
        {
            return GroupOutcome.Reject($"sender refused: {why}");
        }

        if (!Signatures.Verify(SigningKeyOf(sender), envelope.SignedPart(), envelope.Signature))
        {
            return GroupOutcome.Reject("signature does not verify");
        }

        if (!string.Equals(e.Sender, envelope.Sender, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(e.SenderSerial, envelope.SenderSerial, StringComparison.OrdinalIgnoreCase))
        {
            return GroupOutcome.Reject("the server labelled the message with another sender");
        }

        // A departure counts for every device that follows the room, even one that cannot read
        // this epoch (a joiner still catching up must not send to the leaver either). Its content
        // type is signed, and it is in the current epoch: checked above.
        if (envelope.ContentType == ContentType.Departure)
        {
            _departedSerials.UnionWith(_members.Where(s => _packages.TryGetValue(s, out var p)
                && string.Equals(p.UserName, sender.UserName, StringComparison.OrdinalIgnoreCase)));
        }

        if (_epochSecret is null)
        {
            return new GroupOutcome(GroupOutcomeKind.NotForUs, "this device holds no key for this epoch");
        }

        if (!_receiving.TryGetValue(envelope.SenderSerial, out var chain))
        {
            chain = SenderChain.ForSender(_epochSecret, Room, Epoch, envelope.SenderSerial);
            _receiving[envelope.SenderSerial] = chain;
        }

        var next = chain.Next;
        var messageKey = chain.KeyFor(envelope.Generation);
        if (messageKey is null)
        {
            return GroupOutcome.Reject(envelope.Generation < next ? "replay: this message was already received" : "too far ahead of the sender's last message");
        }

        byte[] content;
        try
        {
            // No time-to-live: an old message read from history is still valid.
            content = Fernet.Decrypt(messageKey, envelope.Token, DateTimeOffset.UtcNow);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(messageKey);
        }

        if (envelope.ContentType is not (ContentType.Text or ContentType.Departure))
        {
            // Verified, but of a kind this version cannot show: never passed off as text.
            return GroupOutcome.Reject($"content type {(byte)envelope.ContentType} is not known to this version of OpenChat");
        }

        var highest = _highestGeneration.TryGetValue(envelope.SenderSerial, out var h) ? (long)h : -1;
        var outOfOrder = envelope.Generation < highest;
        var missing = envelope.Generation > highest + 1 ? (uint)(envelope.Generation - highest - 1) : 0u;
        if (!outOfOrder)
        {
            _highestGeneration[envelope.SenderSerial] = envelope.Generation;
        }

        var message = new GroupMessage(Room, e.Sequence, envelope.Sender, envelope.SenderSerial, envelope.Epoch, envelope.Generation, envelope.ContentType,
            content, Fernet.TimestampOf(envelope.Token), e.Time, outOfOrder, missing);
        return new GroupOutcome(GroupOutcomeKind.Message, Message: message);
    }
}
