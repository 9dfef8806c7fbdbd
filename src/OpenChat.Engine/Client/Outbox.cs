namespace OpenChat.Engine.Client;

/// <summary>A publish waiting for the server's acknowledgement, and whoever awaits it.</summary>
internal sealed class PendingPublish(OutboxEntry entry)
{
    public OutboxEntry Entry { get; } = entry;

    public TaskCompletionSource<ulong> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The publishes the server has not acknowledged yet, in the order they were made. They are kept
/// in the client's state file and go again, with their original ids, on every new connection
/// (the server deduplicates them), before anything newer, so a sender's order survives a
/// reconnect. Not thread-safe: the client calls it under its dispatch lock, which also orders
/// the publishes on the wire.
/// </summary>
internal sealed class Outbox
{
    private readonly List<PendingPublish> _waiting = [];

    public Outbox(IEnumerable<OutboxEntry> restored)
    {
        foreach (var entry in restored)
        {
            _waiting.Add(new PendingPublish(entry));
        }
    }

    public int Count => _waiting.Count;

    public IEnumerable<PendingPublish> InOrder => _waiting;

    public IReadOnlyList<Guid> Ids() => [.. _waiting.Select(p => p.Entry.MessageId)];

    /// <summary>What the state file keeps (a copy: it is written outside the lock).</summary>
    public List<OutboxEntry> Snapshot() => [.. _waiting.Select(p => p.Entry)];

    public PendingPublish? Find(Guid messageId) => _waiting.Find(p => p.Entry.MessageId == messageId);

    public bool Contains(PendingPublish publish) => _waiting.Contains(publish);

    /// <summary>Queues a publish; one with the same id already waiting (resent at connect) is
    /// returned instead, so there is one entry and one acknowledgement.</summary>
    public PendingPublish Add(OutboxEntry entry, bool sameIdIsSameMessage)
    {
        if (sameIdIsSameMessage && Find(entry.MessageId) is { } waiting)
        {
            return waiting;
        }

        var publish = new PendingPublish(entry);
        _waiting.Add(publish);
        return publish;
    }

    /// <summary>Takes the publish with this id out of the queue (acknowledged or refused for good).</summary>
    public PendingPublish? Remove(Guid messageId)
    {
        var index = _waiting.FindIndex(p => p.Entry.MessageId == messageId);
        if (index < 0)
        {
            return null;
        }

        var publish = _waiting[index];
        _waiting.RemoveAt(index);
        return publish;
    }

    public bool Remove(PendingPublish publish) => _waiting.Remove(publish);

    /// <summary>Lets go of everyone waiting (the client closes); the entries stay saved.</summary>
    public void Abandon(Exception reason)
    {
        foreach (var publish in _waiting)
        {
            publish.Completion.TrySetException(reason);
        }
    }
}
