namespace OpenChat.Engine.Protocol;

// One record per frame type of protocol version 1. Each knows how to write itself as a whole
// frame and how to read itself from a payload; docs/protocol.md lists the same fields in the
// same order. Requests carry a client-chosen Tag that the matching reply echoes.

public interface IMessage
{
    byte[] ToFrame();
}

/// <summary>A server's answer to the request whose <see cref="Tag"/> it echoes.</summary>
public interface IReply : IMessage
{
    uint Tag { get; }
}

public sealed record Hello(ushort MinVersion, ushort MaxVersion, string Client) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Hello).U16(MinVersion).U16(MaxVersion).String(Client).ToFrame();

    public static Hello Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Hello(r.U16(), r.U16(), r.String());
        r.End();
        return m;
    }
}

/// <summary>The server's answer to Hello. <see cref="CaCertificate"/> (PEM) lets an enrolling client,
/// which knows only the CA's fingerprint, finish checking the server before it says anything else.
/// <see cref="Nonce"/> is 32 fresh random bytes on an enrollment connection (empty otherwise): the
/// enrolling client's proof of its invite is bound to it, so it is good on this connection only.
/// <see cref="Nodes"/> (version 6) are the addresses (<c>host:port</c>) of the deployment's live
/// nodes, this one first: where the client may reconnect when this node goes away.</summary>
public sealed record Welcome(ushort Version, string Server, string UserName, string Serial, string CaCertificate, byte[] Nonce, IReadOnlyList<string> Nodes) : IMessage
{
    /// <summary>More would be a server listing garbage; a deployment has a handful of nodes.</summary>
    public const int MaxNodes = 64;

    public Welcome(ushort version, string server, string userName, string serial, string caCertificate, byte[] nonce)
        : this(version, server, userName, serial, caCertificate, nonce, [])
    {
    }

    public byte[] ToFrame()
    {
        var w = new PayloadWriter(MessageType.Welcome, 1024).U16(Version).String(Server).String(UserName).String(Serial).String(CaCertificate).Bytes(Nonce)
            .U16((ushort)Math.Min(Nodes.Count, MaxNodes));
        foreach (var node in Nodes.Take(MaxNodes))
        {
            w.String(node);
        }

        return w.ToFrame();
    }

    public static Welcome Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var (version, server, userName, serial, ca, nonce) = (r.U16(), r.String(), r.String(), r.String(), r.String(), r.Bytes());
        var count = r.U16();
        if (count > MaxNodes)
        {
            throw new ProtocolException($"Welcome lists {count} nodes; at most {MaxNodes} are allowed");
        }

        var nodes = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var node = r.String();
            try
            {
                var (host, port) = Pki.ServerNames.ParseAddress(node);
                nodes.Add(Pki.ServerNames.FormatAddress(host, port));
            }
            catch (OpenChatException)
            {
                throw new ProtocolException("Welcome lists a node address that is not host:port");
            }
        }

        r.End();
        return new Welcome(version, server, userName, serial, ca, nonce, nodes);
    }
}

/// <summary>Redeems an invite without sending its secret: the invite id and user name, the CSR,
/// and a signature by the key derived from the secret over this connection's transcript
/// (<see cref="Pki.InviteProof"/>).</summary>
public sealed record Enroll(uint Tag, string InviteId, string UserName, string CertificateRequest, byte[] Proof) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Enroll, 2048).U32(Tag).String(InviteId).String(UserName).String(CertificateRequest).Bytes(Proof).ToFrame();

    public static Enroll Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Enroll(r.U32(), r.String(), r.String(), r.String(), r.Bytes());
        r.End();
        return m;
    }
}

public sealed record Enrolled(uint Tag, string Certificate, string CaCertificate) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Enrolled, 2048).U32(Tag).String(Certificate).String(CaCertificate).ToFrame();

    public static Enrolled Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Enrolled(r.U32(), r.String(), r.String());
        r.End();
        return m;
    }
}

/// <summary>A refusal of request <see cref="Tag"/> (0 when not tied to a request). <see cref="Code"/>
/// is a stable error id.</summary>
public sealed record ErrorReply(uint Tag, string Code, string Message) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Error).U32(Tag).String(Code).String(Message).ToFrame();

    public static ErrorReply Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new ErrorReply(r.U32(), r.String(), r.String());
        r.End();
        return m;
    }
}

/// <summary>A request that names only a room (Join, CreateRoom, Leave, ListMembers) or a user (OpenDirect),
/// or nothing (ListRooms, with an empty name).</summary>
public sealed record NameRequest(MessageType Type, uint Tag, string Name) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(Type).U32(Tag).String(Name).ToFrame();

    public static NameRequest Read(MessageType type, ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new NameRequest(type, r.U32(), r.String());
        r.End();
        return m;
    }
}

public sealed record HistoryRequest(uint Tag, string Room, ulong FromSequence, uint Max) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.History).U32(Tag).String(Room).U64(FromSequence).U32(Max).ToFrame();

    public static HistoryRequest Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new HistoryRequest(r.U32(), r.String(), r.U64(), r.U32());
        r.End();
        return m;
    }
}

public sealed record Publish(uint Tag, string Room, Guid MessageId, EventKind Kind, ulong Epoch, byte[] Body) : IMessage
{
    public byte[] ToFrame() =>
        new PayloadWriter(MessageType.Publish, 64 + Body.Length).U32(Tag).String(Room).Id(MessageId).U8((byte)Kind).U64(Epoch).Bytes(Body).ToFrame();

    public static Publish Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Publish(r.U32(), r.String(), r.Id(), ReadKind(ref r), r.U64(), r.Bytes());
        r.End();
        return m;
    }

    internal static EventKind ReadKind(ref PayloadReader r)
    {
        var kind = (EventKind)r.U8();
        return Enum.IsDefined(kind) ? kind : throw new ProtocolException($"Event kind {(byte)kind} is not part of the protocol.");
    }
}

public sealed record Ping(ulong Nonce) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Ping).U64(Nonce).ToFrame();

    public static Ping Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Ping(r.U64());
        r.End();
        return m;
    }
}

public sealed record Pong(ulong Nonce) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Pong).U64(Nonce).ToFrame();

    public static Pong Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Pong(r.U64());
        r.End();
        return m;
    }
}

public enum RoomKind : byte
{
    Room = 0,
    Direct = 1,
}

public sealed record RoomInfo(string Name, RoomKind Kind, ulong LastSequence, uint Members, bool Joined);

public sealed record RoomList(uint Tag, IReadOnlyList<RoomInfo> Rooms) : IReply
{
    /// <summary>Type, tag and count: what the frame holds besides its rooms.</summary>
    public const int HeaderSize = 1 + 4 + 4;

    /// <summary>What one room adds to the frame (the layout written below).</summary>
    public static int EntrySize(RoomInfo room) => 2 + System.Text.Encoding.UTF8.GetByteCount(room.Name) + 1 + 8 + 4 + 1;

    public byte[] ToFrame()
    {
        var w = new PayloadWriter(MessageType.RoomList).U32(Tag).U32((uint)Rooms.Count);
        foreach (var room in Rooms)
        {
            w.String(room.Name).U8((byte)room.Kind).U64(room.LastSequence).U32(room.Members).Bool(room.Joined);
        }

        return w.ToFrame();
    }

    public static RoomList Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var tag = r.U32();
        var count = r.U32();
        var rooms = new List<RoomInfo>();
        for (var i = 0u; i < count; i++)
        {
            rooms.Add(new RoomInfo(r.String(), (RoomKind)r.U8(), r.U64(), r.U32(), r.Bool()));
        }

        r.End();
        return new RoomList(tag, rooms);
    }
}

public sealed record Joined(uint Tag, string Room, RoomKind Kind, ulong LastSequence, ulong Epoch) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Joined).U32(Tag).String(Room).U8((byte)Kind).U64(LastSequence).U64(Epoch).ToFrame();

    public static Joined Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Joined(r.U32(), r.String(), (RoomKind)r.U8(), r.U64(), r.U64());
        r.End();
        return m;
    }
}

public sealed record Left(uint Tag, string Room) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Left).U32(Tag).String(Room).ToFrame();

    public static Left Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Left(r.U32(), r.String());
        r.End();
        return m;
    }
}

/// <summary>A member of a room; <see cref="AwaySince"/> is when the last connection of the user
/// closed (null while online or if never seen).</summary>
public sealed record MemberInfo(string UserName, bool Online, DateTimeOffset? AwaySince);

public sealed record MemberList(uint Tag, string Room, IReadOnlyList<MemberInfo> Members) : IReply
{
    public byte[] ToFrame()
    {
        var w = new PayloadWriter(MessageType.MemberList).U32(Tag).String(Room).U32((uint)Members.Count);
        foreach (var member in Members)
        {
            w.String(member.UserName).Bool(member.Online).I64(member.AwaySince?.ToUnixTimeMilliseconds() ?? -1);
        }

        return w.ToFrame();
    }

    public static MemberList Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var tag = r.U32();
        var room = r.String();
        var count = r.U32();
        var members = new List<MemberInfo>();
        for (var i = 0u; i < count; i++)
        {
            var name = r.String();
            var online = r.Bool();
            var away = r.I64();
            members.Add(new MemberInfo(name, online, away < 0 ? null : PayloadReader.TimeOf(away)));
        }

        r.End();
        return new MemberList(tag, room, members);
    }
}

public sealed record HistoryEnd(uint Tag, string Room, ulong LastSent, ulong RoomLastSequence) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.HistoryEnd).U32(Tag).String(Room).U64(LastSent).U64(RoomLastSequence).ToFrame();

    public static HistoryEnd Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new HistoryEnd(r.U32(), r.String(), r.U64(), r.U64());
        r.End();
        return m;
    }
}

public sealed record Ack(uint Tag, string Room, Guid MessageId, ulong Sequence) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Ack).U32(Tag).String(Room).Id(MessageId).U64(Sequence).ToFrame();

    public static Ack Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Ack(r.U32(), r.String(), r.Id(), r.U64());
        r.End();
        return m;
    }
}

/// <summary>A stored room event: what the store keeps and every member receives. The server fills
/// in sequence, sender and time; the body is the publisher's, untouched. On the wire it travels as
/// an <see cref="EventSource"/> and a <see cref="CompactEvent"/>.</summary>
public sealed record RoomEvent(string Room, ulong Sequence, Guid MessageId, string Sender, string SenderSerial, EventKind Kind, ulong Epoch, DateTimeOffset Time, byte[] Body)
{
    /// <summary>The length of the longer of the two frames that carry such an event (type and
    /// payload), without building them: the server checks it before storing, since an event it
    /// could not send would break the room.</summary>
    public static long FrameSize(string room, string sender, string senderSerial, int bodyLength) =>
        Math.Max(EventSource.FrameSize(EventSource.MaxHandles - 1, room, sender, senderSerial), CompactEvent.MaxFrameSize(bodyLength));
}

public sealed record Presence(string Room, string UserName, bool Online, DateTimeOffset Time) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Presence).String(Room).String(UserName).Bool(Online).I64(Time.ToUnixTimeMilliseconds()).ToFrame();

    public static Presence Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Presence(r.String(), r.String(), r.Bool(), r.Time());
        r.End();
        return m;
    }
}

/// <summary>The server is closing the connection, and why (a stable code).</summary>
public sealed record Bye(string Code, string Message) : IMessage
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Bye).String(Code).String(Message).ToFrame();

    public static Bye Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new Bye(r.String(), r.String());
        r.End();
        return m;
    }
}

/// <summary>The CA's current revocation list (DER, signed by the CA), so clients can refuse
/// revoked senders without trusting the server's word for it.</summary>
public sealed record RevocationsReply(uint Tag, byte[] Crl) : IReply
{
    public byte[] ToFrame() => new PayloadWriter(MessageType.Revocations, 64 + Crl.Length).U32(Tag).Bytes(Crl).ToFrame();

    public static RevocationsReply Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var m = new RevocationsReply(r.U32(), r.Bytes());
        r.End();
        return m;
    }
}
