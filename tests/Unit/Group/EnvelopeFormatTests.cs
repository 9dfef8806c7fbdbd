using System.Text;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>Envelope version 2 carries the token as bytes (issue 9, item 7); version 1, with the
/// token in a 4096-byte string field, is still read so stored history stays readable.</summary>
public class EnvelopeFormatTests
{
    [Fact]
    public void Messages_are_written_as_version_2_with_the_token_in_binary()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send(new string('x', 10_000));
            Assert.Equal(Envelope.Version, sent.Body[0]);
            Assert.Equal(2, Envelope.Version);
            Assert.True(sent.Body.Length < 10_300, $"{sent.Body.Length} bytes"); // base64 would add a third
            bob.CatchUp();
            Assert.Equal(new string('x', 10_000), Assert.Single(bob.Texts));
        }
    }

    [Fact]
    public void A_version_1_envelope_is_still_read()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send("stored before the upgrade");
            var v1 = Envelope.Parse(sent.Body) with { Format = Envelope.Version1, Signature = [] };
            v1 = v1 with { Signature = Signatures.Sign(alice.Identity.SigningKey, v1.SignedPart()) };
            var bytes = v1.ToBytes();
            Assert.Equal(1, bytes[0]);
            var reparsed = Envelope.Parse(bytes);
            Assert.Equal((Envelope.Version1, v1.Token), (reparsed.Format, reparsed.Token));

            bob.SkipTo(h.Log.Count);
            var outcome = bob.Deliver(sent with { Body = bytes });
            Assert.Equal(GroupOutcomeKind.Message, outcome.Kind);
            Assert.Equal("stored before the upgrade", Encoding.UTF8.GetString(outcome.Message!.Content));
        }
    }

    [Fact]
    public void The_version_is_signed_so_nobody_can_switch_it()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send("as sent");
            var switched = Envelope.Parse(sent.Body) with { Format = Envelope.Version1 };
            bob.SkipTo(h.Log.Count);
            var outcome = bob.Deliver(sent with { Body = switched.ToBytes() });
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.BadSignature, outcome.Code);
        }
    }

    [Fact]
    public void An_unknown_version_is_refused()
    {
        var (h, alice, _) = GroupHarness.TwoMembers();
        using (h)
        {
            var body = alice.Send("x").Body;
            body[0] = 3;
            Assert.Throws<CryptoException>(() => Envelope.Parse(body));
        }
    }

    [Fact]
    public void A_version_1_token_over_the_string_limit_could_not_be_written_which_is_why_version_2_exists()
    {
        var token = Fernet.Encrypt(new byte[32], new byte[4000]);
        var v1 = new Envelope("ops", 1, "alice", "0a", 0, ContentType.Text, token, new byte[64]) { Format = Envelope.Version1 };
        Assert.Contains("exceeds", Assert.Throws<ProtocolException>(() => v1.ToBytes()).Message);
        var v2 = new Envelope("ops", 1, "alice", "0a", 0, ContentType.Text, token, new byte[64]);
        Assert.Equal(token, Envelope.Parse(v2.ToBytes()).Token);
    }
}
