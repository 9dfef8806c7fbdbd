namespace OpenChat.Engine.Protocol;

/// <summary>The one place a frame's type picks the record that reads it. Both ends decode with it
/// and then match on the record, so a frame type is added here once instead of in each reader's
/// switch. Decoding says nothing about who may send what: a receiver refuses a record that is
/// not meant for it (a client never sends Welcome) with <see cref="Unexpected"/>.</summary>
public static class MessageCodec
{
    public static IMessage Decode(Frame frame) => Decode(frame.Type, frame.Payload.Span);

    public static IMessage Decode(MessageType type, ReadOnlySpan<byte> payload) => type switch
    {
        MessageType.Hello => Hello.Read(payload),
        MessageType.Enroll => Enroll.Read(payload),
        MessageType.ListRooms or MessageType.Join or MessageType.Leave or MessageType.OpenDirect
            or MessageType.ListMembers or MessageType.GetRevocations or MessageType.CreateRoom or MessageType.GetRevocationLists => NameRequest.Read(type, payload),
        MessageType.History => HistoryRequest.Read(payload),
        MessageType.RenewCertificate => RenewCertificate.Read(payload),
        MessageType.Publish => Publish.Read(payload),
        MessageType.Ping => Ping.Read(payload),
        MessageType.FileBegin => FileBegin.Read(payload),
        MessageType.FileChunk => FileChunk.Read(payload),
        MessageType.FileStatus or MessageType.FileComplete => FileRequest.Read(type, payload),
        MessageType.FileFetch => FileFetch.Read(payload),
        MessageType.FileBegun => FileBegun.Read(payload),
        MessageType.FileChunkStored => FileChunkStored.Read(payload),
        MessageType.FileState => FileState.Read(payload),
        MessageType.FileCompleted => FileCompleted.Read(payload),
        MessageType.FileChunkData => FileChunkData.Read(payload),
        MessageType.Welcome => Welcome.Read(payload),
        MessageType.Enrolled => Enrolled.Read(payload),
        MessageType.Error => ErrorReply.Read(payload),
        MessageType.RoomList => RoomList.Read(payload),
        MessageType.Joined => Joined.Read(payload),
        MessageType.Left => Left.Read(payload),
        MessageType.MemberList => MemberList.Read(payload),
        MessageType.HistoryEnd => HistoryEnd.Read(payload),
        MessageType.Revocations => RevocationsReply.Read(payload),
        MessageType.RevocationLists => RevocationListsReply.Read(payload),
        MessageType.CaRoots => CaRoots.Read(payload),
        MessageType.CertificateRenewed => CertificateRenewed.Read(payload),
        MessageType.Ack => Ack.Read(payload),
        MessageType.Event => CompactEvent.Read(payload),
        MessageType.EventSource => EventSource.Read(payload),
        MessageType.Presence => Presence.Read(payload),
        MessageType.Pong => Pong.Read(payload),
        MessageType.Bye => Bye.Read(payload),
        _ => throw new ProtocolException($"Frame type 0x{(byte)type:X2} is not part of the protocol."),
    };

    /// <summary>The refusal of a well-formed frame that this end does not accept from its peer,
    /// or not at this point of the conversation.</summary>
    public static ProtocolException Unexpected(IMessage message, string from) =>
        new($"A {message.GetType().Name} frame is not expected from {from} at this point.");
}
