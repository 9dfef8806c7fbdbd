using System.Security.Cryptography;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server.Cluster;
using Xunit;

namespace OpenChat.Tests.Unit.Server.Cluster;

public sealed class BusAuthenticatorTests
{
    private const string Subject = "openchat.test.room.67";
    private static readonly byte[] Body = [2, 1, 120, 7, 7, 7];

    [Fact]
    public void A_sealed_message_opens_to_its_body_on_its_own_subject()
    {
        var authenticator = new BusAuthenticator(RandomNumberGenerator.GetBytes(32));
        var sealedMessage = authenticator.Seal(Subject, Body);
        Assert.Equal(Body.Length + BusAuthenticator.TagLength, sealedMessage.Length);
        Assert.Equal(Body, authenticator.Open(Subject, sealedMessage).ToArray());
    }

    [Fact]
    public void A_message_replayed_on_another_subject_is_refused()
    {
        var authenticator = new BusAuthenticator(RandomNumberGenerator.GetBytes(32));
        var sealedMessage = authenticator.Seal(Subject, Body);
        Assert.Throws<ProtocolException>(() => authenticator.Open("openchat.test.room.68", sealedMessage));
        Assert.Throws<ProtocolException>(() => authenticator.Open("openchat.other.room.67", sealedMessage));
    }

    [Fact]
    public void A_changed_byte_anywhere_a_cut_tag_or_no_tag_is_refused()
    {
        var authenticator = new BusAuthenticator(RandomNumberGenerator.GetBytes(32));
        var sealedMessage = authenticator.Seal(Subject, Body);
        for (var i = 0; i < sealedMessage.Length; i++)
        {
            var changed = (byte[])sealedMessage.Clone();
            changed[i] ^= 0x01;
            Assert.Throws<ProtocolException>(() => authenticator.Open(Subject, changed));
        }

        Assert.Throws<ProtocolException>(() => authenticator.Open(Subject, sealedMessage[..^1]));
        Assert.Throws<ProtocolException>(() => authenticator.Open(Subject, Body));
        Assert.Throws<ProtocolException>(() => authenticator.Open(Subject, []));
    }

    [Fact]
    public void Nodes_with_the_same_server_key_share_the_bus_key_and_another_key_or_deployment_gets_another()
    {
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var copy = ECDsa.Create();
        copy.ImportFromPem(serverKey.ExportPkcs8PrivateKeyPem());
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var sealedMessage = BusAuthenticator.FromServerKey(serverKey, "ab12").Seal(Subject, Body);

        Assert.Equal(Body, BusAuthenticator.FromServerKey(copy, "ab12").Open(Subject, sealedMessage).ToArray());
        Assert.Throws<ProtocolException>(() => BusAuthenticator.FromServerKey(otherKey, "ab12").Open(Subject, sealedMessage));
        Assert.Throws<ProtocolException>(() => BusAuthenticator.FromServerKey(serverKey, "cd34").Open(Subject, sealedMessage));
    }

    [Fact]
    public void A_short_key_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new BusAuthenticator(new byte[16]));
    }
}
