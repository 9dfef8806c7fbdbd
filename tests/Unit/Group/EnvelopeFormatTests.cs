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
    public void A_signed_version_1_envelope_whose_token_is_not_base64url_is_refused_not_thrown()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send("x");
            var v1 = Envelope.Parse(sent.Body) with { Format = Envelope.Version1, Token = "not*base64url", Signature = [] };
            v1 = v1 with { Signature = Signatures.Sign(alice.Identity.SigningKey, v1.SignedPart()) };
            bob.SkipTo(h.Log.Count);
            var outcome = bob.Deliver(sent with { Body = v1.ToBytes() });
            Assert.Equal(GroupOutcomeKind.Rejected, outcome.Kind);
            Assert.Equal(RejectReason.DoesNotDecrypt, outcome.Code);
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
    [Fact]
    public void A_changed_envelope_is_written_and_signed_over_anew_not_from_the_bytes_it_was_read_from()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send("as sent");
            var parsed = Envelope.Parse(sent.Body);
            Assert.Equal(sent.Body, parsed.ToBytes());
            var relabelled = parsed with { Generation = parsed.Generation + 1 };
            Assert.NotEqual(parsed.SignedPart(), relabelled.SignedPart());
            Assert.Equal(parsed.Generation + 1, Envelope.Parse(relabelled.ToBytes()).Generation);

            bob.SkipTo(h.Log.Count);
            var outcome = bob.Deliver(sent with { Body = relabelled.ToBytes() });
            Assert.Equal((GroupOutcomeKind.Rejected, RejectReason.BadSignature), (outcome.Kind, outcome.Code));
        }
    }

    [Fact]
    public void No_single_byte_changed_anywhere_in_a_message_is_accepted_and_none_spoils_the_real_one()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var sent = alice.Send("exactly this");
            bob.SkipTo(h.Log.Count);
            for (var i = 0; i < sent.Body.Length; i++)
            {
                var tampered = (byte[])sent.Body.Clone();
                tampered[i] ^= 0x20;
                var outcome = bob.Deliver(sent with { Body = tampered });
                Assert.True(outcome.Kind != GroupOutcomeKind.Message, $"byte {i} changed was accepted as a message");
            }

            var real = bob.Deliver(sent);
            Assert.Equal(GroupOutcomeKind.Message, real.Kind);
            Assert.Equal("exactly this", Encoding.UTF8.GetString(real.Message!.Content));
        }
    }

    [Fact]
    public void A_device_keeps_the_keys_of_its_last_256_unechoed_messages_and_only_those()
    {
        var (h, alice, _) = GroupHarness.TwoMembers();
        using (h)
        {
            alice.CatchUp();
            for (var i = 0; i <= EpochKeys.MaxOwnUnechoed; i++)
            {
                h.Store(alice, EventKind.Chat, alice.State.Encrypt(Encoding.UTF8.GetBytes($"m{i}"), ContentType.Text, DateTimeOffset.UtcNow));
            }

            var echoes = alice.CatchUp();
            Assert.Equal(EpochKeys.MaxOwnUnechoed + 1, echoes.Count);
            Assert.Equal(GroupOutcomeKind.NotForUs, echoes[0].Kind);
            Assert.All(echoes.Skip(1), e => Assert.Equal(GroupOutcomeKind.Message, e.Kind));
            Assert.Equal($"m{EpochKeys.MaxOwnUnechoed}", Encoding.UTF8.GetString(echoes[^1].Message!.Content));

            // An echo seen once has given its key up: a replay of it is not decrypted again.
            Assert.Equal(GroupOutcomeKind.NotForUs, alice.Deliver(h.Log[^1]).Kind);
        }
    }
    [Fact]
    public void A_copy_made_with_with_keeps_every_public_property()
    {
        // Envelope's copy constructor is written by hand (so that `with` drops what Parse cached):
        // a property added later and not copied there would silently fall back to its default.
        var (h, alice, _) = GroupHarness.TwoMembers();
        using (h)
        {
            var parsed = Envelope.Parse(alice.Send("copied").Body) with { Format = Envelope.Version1 };
            var copy = parsed with { };
            var properties = typeof(Envelope).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
                .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToList();
            Assert.True(properties.Count >= 9, string.Join(", ", properties.Select(p => p.Name)));
            Assert.All(properties, p => Assert.Equal(p.GetValue(parsed), p.GetValue(copy)));
        }
    }
}
