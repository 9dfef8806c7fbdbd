using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Server;

/// <summary>What serial the server stamps on a published message after its sender's certificate
/// was renewed over the connection: one signed under the previous certificate (in flight when the
/// renewal came back, or resent after a reconnect) keeps that serial, so members do not refuse it
/// as relabelled; a serial that is not in the connection's renewal chain is never stamped.</summary>
public sealed class PublisherSerialTests
{
    private static byte[] EnvelopeNaming(string sender, string serial) =>
        new Envelope("ops", 1, sender, serial, 0, ContentType.Text, "", new byte[64]).ToBytes();

    private static async Task<(ChatHarness H, ChatClient Alice, ChatClient Bob)> StartAsync()
    {
        var h = await ChatHarness.StartAsync();
        var alice = await h.UserAsync("alice");
        var bob = await h.UserAsync("bob");
        await alice.CreateRoomAsync("ops");
        await bob.JoinAsync("ops");
        return (h, alice, bob);
    }

    private static async Task<RoomEvent> NextChatAsync(ChatClient client)
    {
        while (true)
        {
            var e = await Eventually.NextAsync(client);
            if (e.Kind == EventKind.Chat)
            {
                return e;
            }
        }
    }

    [Fact]
    public async Task A_message_signed_under_the_previous_certificate_keeps_its_serial_after_the_renewal()
    {
        var (h, alice, bob) = await StartAsync();
        await using (h)
        await using (alice)
        await using (bob)
        {
            var first = alice.Identity.SerialNumber;
            using var second = await alice.RenewCertificateAsync();
            using var third = await alice.RenewCertificateAsync();

            await alice.PublishAsync("ops", EnvelopeNaming("alice", first));
            Assert.Equal(first, (await NextChatAsync(bob)).SenderSerial, StringComparer.OrdinalIgnoreCase);
            await alice.PublishAsync("ops", EnvelopeNaming("alice", second.SerialNumber));
            Assert.Equal(second.SerialNumber, (await NextChatAsync(bob)).SenderSerial, StringComparer.OrdinalIgnoreCase);
            await alice.PublishAsync("ops", EnvelopeNaming("alice", third.SerialNumber));
            Assert.Equal(third.SerialNumber, (await NextChatAsync(bob)).SenderSerial, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_serial_outside_the_connections_renewal_chain_is_never_stamped()
    {
        var (h, alice, bob) = await StartAsync();
        await using (h)
        await using (alice)
        await using (bob)
        {
            var bobs = bob.Identity.SerialNumber;
            using var renewed = await alice.RenewCertificateAsync();

            await alice.PublishAsync("ops", EnvelopeNaming("bob", bobs));
            Assert.Equal(renewed.SerialNumber, (await NextChatAsync(bob)).SenderSerial, StringComparer.OrdinalIgnoreCase);
            await alice.PublishAsync("ops", [1, 2, 3]);
            Assert.Equal(renewed.SerialNumber, (await NextChatAsync(bob)).SenderSerial, StringComparer.OrdinalIgnoreCase);
        }
    }
}
