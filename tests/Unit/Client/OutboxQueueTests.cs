using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Client;

public class OutboxQueueTests
{
    private static OutboxEntry Entry(Guid? id = null) => new() { Room = "ops", MessageId = id ?? Guid.CreateVersion7(), Body = [1] };

    [Fact]
    public void A_publish_with_the_id_of_one_waiting_is_the_same_publish()
    {
        var restored = Entry();
        var outbox = new Outbox([restored]);

        var again = outbox.Add(Entry(restored.MessageId), sameIdIsSameMessage: true);

        Assert.Same(restored, again.Entry);
        Assert.Equal(1, outbox.Count);
    }

    [Fact]
    public void Publishes_go_again_in_the_order_they_were_made_and_leave_when_acknowledged()
    {
        var outbox = new Outbox([]);
        var first = outbox.Add(Entry(), sameIdIsSameMessage: false);
        var second = outbox.Add(Entry(), sameIdIsSameMessage: false);
        var third = outbox.Add(Entry(), sameIdIsSameMessage: false);

        Assert.Same(second, outbox.Remove(second.Entry.MessageId));
        Assert.Null(outbox.Remove(second.Entry.MessageId));

        Assert.Equal([first, third], outbox.InOrder);
        Assert.Equal([first.Entry.MessageId, third.Entry.MessageId], outbox.Ids());
    }

    [Fact]
    public async Task Closing_lets_every_waiter_go_and_keeps_the_entries_for_the_next_session()
    {
        var outbox = new Outbox([Entry()]);
        var snapshot = outbox.Snapshot();
        var waiting = outbox.InOrder.Single().Completion.Task;

        outbox.Abandon(new InvalidOperationException("closed"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => waiting);
        Assert.Equal(1, outbox.Count);
        outbox.Add(Entry(), sameIdIsSameMessage: false);
        Assert.Single(snapshot); // a snapshot is a copy, written outside the lock
    }
}
