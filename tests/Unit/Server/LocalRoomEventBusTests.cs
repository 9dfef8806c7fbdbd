using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

public class LocalRoomEventBusTests
{
    private static byte[] Ping(ulong nonce) => new Ping(nonce).ToFrame();

    [Fact]
    public void A_subscriber_that_cannot_take_its_events_does_not_keep_them_from_the_others()
    {
        var bus = new LocalRoomEventBus();
        var gone = new TestChannel("mallory", "01");
        var reader = new TestChannel("alice", "02");
        bus.Subscribe("ops", gone);
        bus.Subscribe("ops", reader);
        gone.Close("SlowReader", "");

        bus.Publish("ops", [Ping(1), Ping(2)]);

        Assert.Empty(gone.Received);
        Assert.Equal([1UL, 2UL], reader.Received.OfType<Ping>().Select(p => p.Nonce));
    }

    [Fact]
    public void Events_go_only_to_the_rooms_subscribers_and_a_second_subscription_is_the_same_one()
    {
        var bus = new LocalRoomEventBus();
        var alice = new TestChannel("alice", "01");
        var bob = new TestChannel("bob", "02");
        bus.Subscribe("ops", alice);
        bus.Subscribe("ops", alice);
        bus.Subscribe("dev", bob);

        bus.Publish("ops", [Ping(7)]);

        Assert.Single(alice.Received);
        Assert.Empty(bob.Received);
        bus.Unsubscribe("ops", alice);
        Assert.False(bus.HasSubscribers("ops"));
        Assert.Empty(bus.Subscribers("ops"));
        Assert.True(bus.HasSubscribers("dev"));
    }
}
