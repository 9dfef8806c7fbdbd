namespace OpenChat.Engine.Protocol;

/// <summary>
/// Names, for the <see cref="CompactEvent"/> frames after it on the same connection, the room,
/// sender and sender's certificate of events: sent once per packed chunk instead of with every
/// event, since these names were most of the bytes a delivery carried. A handle means the last
/// source sent with it; the server starts every chunk of events with the sources its events use,
/// so no chunk depends on what came before it.
/// </summary>
public sealed record EventSource(uint Handle, string Room, string Sender, string SenderSerial) : IMessage
{
    /// <summary>Handles are numbered per chunk from 0; a receiver keeps at most this many.</summary>
    public const uint MaxHandles = 4096;

    public byte[] ToFrame() =>
        new PayloadWriter(MessageType.EventSource, 64 + Room.Length + Sender.Length + SenderSerial.Length)
            .VarU64(Handle).String(Room).String(Sender).String(SenderSerial).ToFrame();

    /// <summary>The length the frame declares (type and payload), without building it.</summary>
    public static long FrameSize(uint handle, string room, string sender, string senderSerial) =>
        1 + PayloadWriter.VarLength(handle) + (2 + System.Text.Encoding.UTF8.GetByteCount(room)) + (2 + System.Text.Encoding.UTF8.GetByteCount(sender))
        + (2 + System.Text.Encoding.UTF8.GetByteCount(senderSerial));

    public static EventSource Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new EventSource(r.VarU32(MaxHandles - 1), r.String(), r.String(), r.String());
        r.End();
        return m;
    }
}

/// <summary>A stored room event as it reaches a member: the fields of <see cref="RoomEvent"/>
/// except room, sender and sender serial, which its <see cref="Source"/> handle names.</summary>
public sealed record CompactEvent(uint Source, ulong Sequence, Guid MessageId, EventKind Kind, ulong Epoch, DateTimeOffset Time, byte[] Body) : IMessage
{
    /// <summary>The longest frame (type and payload) an event of <paramref name="bodyLength"/>
    /// body bytes can make: every integer at its widest.</summary>
    public static long MaxFrameSize(int bodyLength) => 1 + 2 + 10 + 16 + 1 + 10 + 10 + 5 + (long)bodyLength;

    public static CompactEvent Of(uint source, RoomEvent e) => new(source, e.Sequence, e.MessageId, e.Kind, e.Epoch, e.Time, e.Body);

    public byte[] ToFrame() =>
        new PayloadWriter(MessageType.Event, 48 + Body.Length).VarU64(Source).VarU64(Sequence).Id(MessageId).U8((byte)Kind)
            .VarU64(Epoch).VarI64(Time.ToUnixTimeMilliseconds()).VarBytes(Body).ToFrame();

    public static CompactEvent Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new CompactEvent(r.VarU32(EventSource.MaxHandles - 1), r.VarU64(), r.Id(), Publish.ReadKind(ref r), r.VarU64(),
            PayloadReader.TimeOf(r.VarI64()), r.VarBytes());
        r.End();
        return m;
    }
}

/// <summary>One connection's sources as its <see cref="EventSource"/> frames set them: turns each
/// <see cref="CompactEvent"/> back into the <see cref="RoomEvent"/> it stands for. Not thread-safe:
/// one reader per connection.</summary>
public sealed class EventSources
{
    /// <summary>Characters of names the table holds at most: far more than 4,096 sources of the
    /// longest names the CA and the room rules allow (about 170 each), so only a hostile server
    /// reaches it, and it cannot make a client hold tens of megabytes of names.</summary>
    public const int MaxNameChars = 1 << 20;

    private readonly Dictionary<uint, EventSource> _byHandle = [];
    private long _chars;

    public void Define(EventSource source)
    {
        var chars = Chars(source) - (_byHandle.TryGetValue(source.Handle, out var old) ? Chars(old) : 0);
        if (_chars + chars > MaxNameChars)
        {
            throw new ProtocolException($"The server named event sources of more than {MaxNameChars:N0} characters in all.");
        }

        _byHandle[source.Handle] = source;
        _chars += chars;
    }

    private static long Chars(EventSource s) => (long)s.Room.Length + s.Sender.Length + s.SenderSerial.Length;

    /// <summary>The event with its source's names; an event whose handle no source named is the
    /// peer's protocol error.</summary>
    public RoomEvent Resolve(CompactEvent e)
    {
        var source = _byHandle.GetValueOrDefault(e.Source) ?? throw new ProtocolException($"An event names source {e.Source}, which no EventSource frame defined.");
        return new RoomEvent(source.Room, e.Sequence, e.MessageId, source.Sender, source.SenderSerial, e.Kind, e.Epoch, e.Time, e.Body);
    }

    /// <summary>The room event a decoded frame stands for, after it: null for an
    /// <see cref="EventSource"/> (recorded) or any frame that is not an event.</summary>
    public RoomEvent? Take(IMessage message)
    {
        switch (message)
        {
            case EventSource source:
                Define(source);
                return null;
            case CompactEvent e:
                return Resolve(e);
            default:
                return null;
        }
    }
}
