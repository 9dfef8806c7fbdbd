using OpenChat.Engine.Protocol;
using Xunit;

namespace OpenChat.Tests.Unit.Protocol;

public class WelcomeNodesTests
{
    [Fact]
    public void The_node_list_survives_the_round_trip_in_order()
    {
        var welcome = new Welcome(ChatProtocol.Version, "OpenChat", "alice", "0A", "pem", [], ["chat-a.example.org:7443", "[::1]:7444", "127.0.0.1:7445"]);

        var read = Assert.IsType<Welcome>(Decode(welcome.ToFrame()));

        Assert.Equal(welcome.Nodes, read.Nodes);
        Assert.Equal("alice", read.UserName);
    }

    [Fact]
    public void A_welcome_listing_more_nodes_than_allowed_is_a_protocol_error()
    {
        var frame = Frame(Welcome.MaxNodes + 1, i => $"node{i}.example.org:7443");

        Assert.Throws<ProtocolException>(() => Decode(frame));
    }

    [Theory]
    [InlineData("has space:7443")]
    [InlineData("host:0")]
    [InlineData("host:99999")]
    [InlineData("bad\u001b[2Jhost:7443")]
    [InlineData("")]
    public void A_node_that_is_not_host_and_port_is_a_protocol_error(string node)
    {
        var frame = Frame(1, _ => node);

        Assert.Throws<ProtocolException>(() => Decode(frame));
    }

    private static IMessage Decode(byte[] frame) => MessageCodec.Decode((MessageType)frame[4], frame.AsSpan(5));

    // Written by hand: the record itself never writes more than MaxNodes.
    private static byte[] Frame(int count, Func<int, string> node)
    {
        var writer = new PayloadWriter(MessageType.Welcome, 1024).U16(ChatProtocol.Version).String("OpenChat").String("alice").String("0A").String("pem").Bytes([])
            .U16((ushort)count);
        for (var i = 0; i < count; i++)
        {
            writer.String(node(i));
        }

        return writer.ToFrame();
    }
}
