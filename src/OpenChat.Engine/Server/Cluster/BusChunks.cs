using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// Checks that packed frames from the bus are what their message claims before they reach a
/// client: anyone on the NATS network can publish, and a stray or forged message must neither
/// move a room's delivery past events it does not hold nor slip other frame types (a goodbye, a
/// welcome) into a client's stream.
/// </summary>
internal static class BusChunks
{
    /// <summary>Events of the room, sequences <paramref name="first"/> to <paramref name="last"/> in
    /// order, nothing else; each chunk names its events' sources itself, as a client expects
    /// (<see cref="Server.EventBatch"/>), so no chunk from the bus can borrow another's.</summary>
    public static void VerifyEvents(string room, ulong first, ulong last, IReadOnlyList<byte[]> chunks)
    {
        var expected = first;
        foreach (var chunk in chunks)
        {
            var sources = new EventSources();
            foreach (var message in FrameBatch.Messages(chunk))
            {
                if (message is EventSource source)
                {
                    sources.Define(source);
                    continue;
                }

                if (message is not CompactEvent compact || sources.Resolve(compact) is not { } e || e.Room != room || e.Sequence != expected)
                {
                    throw new ProtocolException("A committed batch on the bus holds something other than the room's next event.");
                }

                expected++;
            }
        }

        if (chunks.Count > 0 && expected != last + 1)
        {
            throw new ProtocolException("A committed batch's events on the bus do not match its sequences.");
        }
    }

    /// <summary>How far a presence change's time may be from this node's clock. A tagged presence
    /// message can be captured and sent again; past this it is refused, so a replay cannot show a
    /// user online or offline long after the fact (nodes' clocks are assumed within seconds).</summary>
    public static readonly TimeSpan PresenceWindow = TimeSpan.FromSeconds(30);

    /// <summary>Presence of the room, nothing else, from about now.</summary>
    public static void VerifyPresence(string room, IReadOnlyList<byte[]> chunks, DateTimeOffset now)
    {
        foreach (var message in chunks.SelectMany(FrameBatch.Messages))
        {
            if (message is not Presence p || p.Room != room)
            {
                throw new ProtocolException("A presence message on the bus holds something other than the room's presence.");
            }

            if ((p.Time - now).Duration() > PresenceWindow)
            {
                throw new ProtocolException($"A presence change on the bus is dated {p.Time:u}, too far from now (a replay, or a node's clock is off).");
            }
        }
    }
}
