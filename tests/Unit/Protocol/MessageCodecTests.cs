using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Protocol;

public class MessageCodecTests
{
    private static readonly IMessage[] OneOfEach =
    [
        new Hello(1, 2, "test"),
        new Enroll(1, "id", "alice", "csr", [1, 2]),
        new NameRequest(MessageType.ListRooms, 1, ""),
        new NameRequest(MessageType.Join, 2, "ops"),
        new NameRequest(MessageType.Leave, 3, "ops"),
        new NameRequest(MessageType.OpenDirect, 4, "bob"),
        new NameRequest(MessageType.ListMembers, 5, "ops"),
        new NameRequest(MessageType.GetRevocations, 6, ""),
        new HistoryRequest(7, "ops", 1, 10),
        new Publish(8, "ops", Guid.NewGuid(), EventKind.Chat, 1, [3]),
        new Ping(9),
        new RenewCertificate(10, []),
        new RenewCertificate(11, [0x30, 0x01, 0x00]),
        new CertificateRenewed(10, [0x30, 0x01, 0x00]),
        new Welcome(2, "server", "alice", "0a", "pem", []),
        new Enrolled(1, "cert", "ca"),
        new ErrorReply(1, "Code", "text"),
        new NameRequest(MessageType.Leave, 3, "ops"),
        new Pong(9),
        new Bye("Code", "text"),
    ];

    [Fact]
    public void Every_frame_decodes_to_the_record_that_wrote_it()
    {
        foreach (var message in OneOfEach)
        {
            var frame = message.ToFrame();
            var decoded = MessageCodec.Decode((MessageType)frame[4], frame.AsSpan(5));
            Assert.Equal(message.GetType(), decoded.GetType());
            Assert.Equal(frame, decoded.ToFrame());
        }
    }

    [Fact]
    public void Every_type_of_the_protocol_has_a_decoder()
    {
        foreach (var type in Enum.GetValues<MessageType>())
        {
            // An empty payload is too short for every record: the codec must reach the record's
            // reader (a malformed-frame refusal), not fall through to "not part of the protocol".
            var refused = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(type, []));
            Assert.DoesNotContain("not part of the protocol", refused.Message);
        }
    }

    [Fact]
    public void A_type_outside_the_protocol_is_refused()
    {
        var refused = Assert.Throws<ProtocolException>(() => MessageCodec.Decode((MessageType)0x7F, [0]));
        Assert.Contains("not part of the protocol", refused.Message);
    }
}
