using System.Text;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>A burst of publishes is committed and fanned out in batches; on the wire that must
/// still look like one event per message, in sequence, with each ack after its event.</summary>
public class BurstDeliveryTests
{
    private const int Burst = 600;

    [Fact]
    public async Task A_burst_reaches_every_member_in_sequence_and_each_ack_follows_its_event()
    {
        await using var h = await ChatHarness.StartAsync(o => o.PublishBurst = Burst * 2);
        await using var publisher = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("alice"));
        await using var receiver = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("bob"));
        foreach (var client in new[] { publisher, receiver })
        {
            await client.SendAsync(new NameRequest(client == publisher ? MessageType.CreateRoom : MessageType.Join, 1, "burst").ToFrame());
            var joined = await client.Reader.ReadAsync(CancellationToken.None);
            Assert.Equal(MessageType.Joined, joined?.Type);
        }

        var ids = Enumerable.Range(0, Burst).Select(_ => Guid.NewGuid()).ToList();
        var frames = new MemoryStream();
        for (var i = 0; i < Burst; i++)
        {
            frames.Write(new Publish((uint)(100 + i), "burst", ids[i], EventKind.Chat, 0, Encoding.UTF8.GetBytes($"m{i}")).ToFrame());
        }

        await publisher.SendAsync(frames.ToArray());

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // The publisher is a member too: it sees every event, and each ack only after that event.
        var seen = new HashSet<ulong>();
        var publisherSources = new EventSources();
        var receiverSources = new EventSources();
        var acks = 0;
        var next = 1UL;
        while (acks < Burst)
        {
            var frame = await publisher.Reader.ReadAsync(deadline.Token) ?? throw new InvalidOperationException("closed");
            if (frame.Type == MessageType.Presence)
            {
                continue;
            }

            if (frame.Type == MessageType.EventSource)
            {
                publisherSources.Define(EventSource.Read(frame.Payload.Span));
            }
            else if (frame.Type == MessageType.Event)
            {
                var e = publisherSources.Resolve(CompactEvent.Read(frame.Payload.Span));
                Assert.Equal(next++, e.Sequence);
                Assert.Equal(ids[(int)e.Sequence - 1], e.MessageId);
                seen.Add(e.Sequence);
            }
            else
            {
                Assert.Equal(MessageType.Ack, frame.Type);
                var ack = Ack.Read(frame.Payload.Span);
                Assert.Contains(ack.Sequence, seen);
                Assert.Equal(ids[(int)ack.Tag - 100], ack.MessageId);
                acks++;
            }
        }

        for (var expected = 1UL; expected <= Burst; expected++)
        {
            var frame = await receiver.Reader.ReadAsync(deadline.Token) ?? throw new InvalidOperationException("closed");
            while (frame.Type is MessageType.Presence or MessageType.EventSource)
            {
                if (frame.Type == MessageType.EventSource)
                {
                    receiverSources.Define(EventSource.Read(frame.Payload.Span));
                }

                frame = await receiver.Reader.ReadAsync(deadline.Token) ?? throw new InvalidOperationException("closed");
            }

            Assert.Equal(MessageType.Event, frame.Type);
            var e = receiverSources.Resolve(CompactEvent.Read(frame.Payload.Span));
            Assert.Equal((expected, $"m{expected - 1}", "alice"), (e.Sequence, Encoding.UTF8.GetString(e.Body), e.Sender));
        }
    }
}
