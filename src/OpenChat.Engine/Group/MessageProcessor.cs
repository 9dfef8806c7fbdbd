using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>
/// Verifies and decrypts one chat event of the current epoch: the envelope's room and epoch, the
/// sender (a member, named as in its certificate, valid when the message was sequenced), the
/// signature and the server's label, then the sender's ratchet. A signed departure is recorded in
/// the roster even by a device that cannot read the epoch.
/// </summary>
internal static class MessageProcessor
{
    public static GroupOutcome Process(GroupPosition position, Roster roster, MemberValidity validity, EpochKeys keys, RoomEvent e, DateTimeOffset at,
        DateTimeOffset now)
    {
        var envelope = Envelope.Parse(e.Body);
        if (Verify(position, roster, validity, envelope, e, at, out var sender) is { } refused)
        {
            return GroupOutcome.Reject(refused);
        }

        // A departure counts for every device that follows the room, even one that cannot read
        // this epoch (a joiner still catching up must not send to the leaver either). Its content
        // type is signed, and it is in the current epoch: checked above.
        if (envelope.ContentType == ContentType.Departure)
        {
            roster.MarkDeparted(sender!.UserName);
        }

        byte[]? messageKey;
        if (keys.Holds && keys.IsOwn(envelope.SenderSerial))
        {
            // This device's own message back: its key was kept from the send (there is no chain to
            // derive it from). Seen already, or sent before a restart: nothing to open it with.
            messageKey = keys.TakeOwn(envelope.Generation);
            if (messageKey is null)
            {
                return new GroupOutcome(GroupOutcomeKind.NotForUs, "this device's own message, whose key it no longer holds");
            }
        }
        else if (!keys.Holds || keys.ReceivingFrom(envelope.SenderSerial) is not { } chain)
        {
            return new GroupOutcome(GroupOutcomeKind.NotForUs, "this device holds no key for this epoch");
        }
        else
        {
            var next = chain.Next;
            messageKey = chain.KeyFor(envelope.Generation);
            if (messageKey is null)
            {
                return envelope.Generation < next
                    ? GroupOutcome.Reject(RejectReason.Replay, "replay: this message was already received")
                    : GroupOutcome.Reject(RejectReason.TooFarAhead, "too far ahead of the sender's last message");
            }
        }

        byte[] content;
        byte[] token;
        try
        {
            // Decoded once, inside the refusal: a version-1 envelope holds it as base64url text.
            token = envelope.TokenBytes();
            // No time-to-live: an old message read from history is still valid.
            content = Fernet.DecryptBytes(messageKey, token, now);
        }
        catch (CryptoException ex)
        {
            return GroupOutcome.Reject(RejectReason.DoesNotDecrypt, ex.Message);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(messageKey);
        }

        if (envelope.ContentType is not (ContentType.Text or ContentType.Departure or ContentType.File))
        {
            // Verified, but of a kind this version cannot show: never passed off as text.
            return GroupOutcome.Reject(RejectReason.UnknownContentType, $"content type {(byte)envelope.ContentType} is not known to this version of OpenChat");
        }

        var (outOfOrder, missing) = keys.Record(envelope.SenderSerial, envelope.Generation);
        var message = new GroupMessage(position.Room, e.Sequence, envelope.Sender, envelope.SenderSerial, envelope.Epoch, envelope.Generation, envelope.ContentType,
            content, Fernet.TimestampOfBytes(token), e.Time, outOfOrder, missing);
        return new GroupOutcome(GroupOutcomeKind.Message, Message: message);
    }

    private static Refusal? Verify(GroupPosition position, Roster roster, MemberValidity validity, Envelope envelope, RoomEvent e, DateTimeOffset at,
        out KeyPackage? sender)
    {
        sender = null;
        if (!string.Equals(envelope.Room, position.Room, StringComparison.Ordinal))
        {
            return new Refusal(RejectReason.AnotherRoom, "message for another room");
        }

        if (envelope.Epoch < position.Epoch)
        {
            return new Refusal(RejectReason.StaleEpoch, "stale epoch: sent in an epoch that has ended");
        }

        if (envelope.Epoch > position.Epoch)
        {
            return new Refusal(RejectReason.UnknownEpoch, "unknown epoch: a commit is missing");
        }

        if (!roster.Contains(envelope.SenderSerial) || !roster.TryGetPackage(envelope.SenderSerial, out var known))
        {
            return new Refusal(RejectReason.SenderNotAMember, "sender is not a member of this epoch");
        }

        if (!string.Equals(known.UserName, envelope.Sender, StringComparison.Ordinal))
        {
            return new Refusal(RejectReason.SenderNameMismatch, "sender name does not match the sender's certificate");
        }

        if (validity.ProblemAt(known, at) is { } why)
        {
            return why with { Reason = $"sender refused: {why.Reason}" };
        }

        if (!Signatures.Verify(roster.SigningKeyOf(known), envelope.SignedPart(), envelope.Signature))
        {
            return new Refusal(RejectReason.BadSignature, "signature does not verify");
        }

        if (!Roster.SameName(e.Sender, envelope.Sender) || !Roster.SameSerial(e.SenderSerial, envelope.SenderSerial))
        {
            return new Refusal(RejectReason.RelabelledSender, "the server labelled the message with another sender");
        }

        sender = known;
        return null;
    }
}
