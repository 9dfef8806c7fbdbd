using CsCheck;
using OpenChat.Engine.Protocol;
using Xunit;

namespace OpenChat.Tests.Unit.Protocol;

/// <summary>
/// Bounded random runs over the frame codec, the part that reads bytes from the other side of
/// every connection: any bytes give a message or the declared <see cref="ProtocolException"/>,
/// never another exception (which a read loop would treat as a bug rather than a peer's fault),
/// and every message type reads back to exactly the bytes it was written as. CsCheck prints the
/// seed of a failing case, which reproduces it.
/// </summary>
public sealed class CodecPropertyTests
{
    private const long Runs = 4_000;

    private static readonly Gen<string> Name = Gen.String["abcdefghijklmnopqrstuvwxyz0123456789-_@+."];
    private static readonly Gen<string> Text = Gen.String[0, 60];
    private static readonly Gen<byte[]> Blob = Gen.Byte.Array[0, 200];
    private static readonly Gen<DateTimeOffset> Time = Gen.Long[0, 253_402_300_799_999].Select(DateTimeOffset.FromUnixTimeMilliseconds);
    // An event's time is signed on the wire (MemberList keeps -1 for "never", so not there).
    private static readonly Gen<DateTimeOffset> AnyTime = Gen.Long[-62_135_596_800_000, 253_402_300_799_999].Select(DateTimeOffset.FromUnixTimeMilliseconds);
    private static readonly Gen<string> Node = Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyz"].Array[1, 20], Gen.Int[1, 65535],
        (host, port) => $"{new string(host)}.example.org:{port}");

    private static readonly MessageType[] NameRequestTypes =
        [MessageType.ListRooms, MessageType.Join, MessageType.Leave, MessageType.OpenDirect, MessageType.ListMembers,
         MessageType.GetRevocations, MessageType.CreateRoom, MessageType.GetRevocationLists];

    /// <summary>A message of every type the protocol has, with random fields.</summary>
    private static readonly Gen<IMessage> AnyMessage = Gen.OneOf<IMessage>(
        Gen.Select(Gen.UShort, Gen.UShort, Text, (a, b, c) => (IMessage)new Hello(a, b, c)),
        Gen.Select(Gen.UShort, Name, Name, Name, Text, Blob, Node.List[0, 5], (v, s, u, n, ca, nonce, nodes) => (IMessage)new Welcome(v, s, u, n, ca, nonce, nodes)),
        Gen.Select(Gen.UInt, Name, Name, Text, Blob, (t, i, u, csr, proof) => (IMessage)new Enroll(t, i, u, csr, proof)),
        Gen.Select(Gen.UInt, Text, Text, (t, c, ca) => (IMessage)new Enrolled(t, c, ca)),
        Gen.Select(Gen.UInt, Name, Text, (t, c, m) => (IMessage)new ErrorReply(t, c, m)),
        Gen.Select(Gen.OneOf<MessageType>(NameRequestTypes), Gen.UInt, Name, (type, t, n) => (IMessage)new NameRequest(type, t, n)),
        Gen.Select(Gen.UInt, Name, Gen.ULong, Gen.UInt, (t, r, f, m) => (IMessage)new HistoryRequest(t, r, f, m)),
        Gen.Select(Gen.UInt, Name, Gen.Guid, Gen.Enum<EventKind>(), Gen.ULong, Blob, (t, r, id, k, e, b) => (IMessage)new Publish(t, r, id, k, e, b)),
        Gen.ULong.Select(n => (IMessage)new Ping(n)),
        Gen.ULong.Select(n => (IMessage)new Pong(n)),
        Gen.Select(Gen.UInt, Gen.Select(Name, Gen.Enum<RoomKind>(), Gen.ULong, Gen.UInt, Gen.Bool, (n, k, s, m, j) => new RoomInfo(n, k, s, m, j)).List[0, 6],
            (t, rooms) => (IMessage)new RoomList(t, rooms)),
        Gen.Select(Gen.UInt, Name, Gen.Enum<RoomKind>(), Gen.ULong, Gen.ULong, (t, r, k, s, e) => (IMessage)new Joined(t, r, k, s, e)),
        Gen.Select(Gen.UInt, Name, (t, r) => (IMessage)new Left(t, r)),
        Gen.Select(Gen.UInt, Name, Gen.Select(Name, Gen.Bool, Gen.Bool, Time, (n, o, away, at) => new MemberInfo(n, o, away ? at : null)).List[0, 6],
            (t, r, members) => (IMessage)new MemberList(t, r, members)),
        Gen.Select(Gen.UInt, Name, Gen.ULong, Gen.ULong, (t, r, a, b) => (IMessage)new HistoryEnd(t, r, a, b)),
        Gen.Select(Gen.UInt, Name, Gen.Guid, Gen.ULong, (t, r, id, s) => (IMessage)new Ack(t, r, id, s)),
        Gen.Select(Gen.UInt[0, EventSource.MaxHandles - 1], Name, Name, Name, (h, r, sender, serial) => (IMessage)new EventSource(h, r, sender, serial)),
        Gen.Select(Gen.UInt[0, EventSource.MaxHandles - 1], Gen.ULong, Gen.Guid, Gen.Enum<EventKind>(), Gen.ULong, AnyTime, Blob,
            (h, s, id, k, e, at, b) => (IMessage)new CompactEvent(h, s, id, k, e, at, b)),
        Gen.Select(Name, Name, Gen.Bool, Time, (r, u, o, at) => (IMessage)new Presence(r, u, o, at)),
        Gen.Select(Name, Text, (c, m) => (IMessage)new Bye(c, m)),
        Gen.Select(Gen.UInt, Blob, (t, crl) => (IMessage)new RevocationsReply(t, crl)),
        Gen.Select(Gen.UInt, Blob.List[0, 4], (t, crls) => (IMessage)new RevocationListsReply(t, crls)),
        Gen.Select(Blob, Blob, (root, proof) => new RootOffer(root, proof)).List[0, CaRoots.MaxOffers].Select(o => (IMessage)new CaRoots(o)),
        Gen.Select(Gen.UInt, Blob, (t, csr) => (IMessage)new RenewCertificate(t, csr)),
        Gen.Select(Gen.UInt, Blob, (t, c) => (IMessage)new CertificateRenewed(t, c)),
        Gen.Select(Gen.UInt, Name, Gen.ULong, Gen.UInt, Gen.UInt, (t, r, size, chunk, count) => (IMessage)new FileBegin(t, r, size, chunk, count)),
        Gen.Select(Gen.UInt, Gen.Guid, (t, id) => (IMessage)new FileBegun(t, id)),
        Gen.Select(Gen.UInt, Gen.Guid, Gen.UInt, Blob, (t, id, i, d) => (IMessage)new FileChunk(t, id, i, d)),
        Gen.Select(Gen.UInt, Gen.Guid, Gen.UInt, (t, id, i) => (IMessage)new FileChunkStored(t, id, i)),
        Gen.Select(Gen.OneOf(MessageType.FileStatus, MessageType.FileComplete), Gen.UInt, Gen.Guid, (type, t, id) => (IMessage)new FileRequest(type, t, id)),
        Gen.Select(Gen.UInt, Gen.Guid, Gen.Bool, Gen.UInt[0, 64], (t, id, complete, count) => (IMessage)new FileState(t, id, complete, count, new byte[(count + 7) / 8])),
        Gen.Select(Gen.UInt, Gen.Guid, (t, id) => (IMessage)new FileCompleted(t, id)),
        Gen.Select(Gen.UInt, Gen.Guid, Gen.UInt, (t, id, i) => (IMessage)new FileFetch(t, id, i)),
        Gen.Select(Gen.UInt, Gen.Guid, Gen.UInt, Blob, (t, id, i, d) => (IMessage)new FileChunkData(t, id, i, d)));

    [Fact]
    public void Every_message_type_reads_back_to_the_bytes_it_was_written_as()
    {
        var seen = new HashSet<MessageType>();
        AnyMessage.Sample(message =>
        {
            var frame = message.ToFrame();
            var decoded = MessageCodec.Decode(TypeOf(frame), frame.AsSpan(FrameLimits.HeaderSize));
            Assert.IsType(message.GetType(), decoded);
            Assert.Equal(frame, decoded.ToFrame());
            lock (seen)
            {
                seen.Add(TypeOf(frame));
            }
        }, iter: Runs);

        // The generator covers every frame type the codec decodes.
        var decodable = Enum.GetValues<MessageType>().Where(t => !IsUndecodable(t)).ToHashSet();
        Assert.Subset(seen, decodable);
    }

    [Fact]
    public void Any_bytes_under_any_frame_type_give_a_message_or_a_protocol_error()
    {
        Gen.Select(Gen.Byte, Gen.Byte.Array[0, 300]).Sample((type, payload) => DecodeOrRefuse((MessageType)type, payload), iter: Runs * 5);
    }

    [Fact]
    public void Damaged_frames_of_every_type_give_a_message_or_a_protocol_error()
    {
        // Random bytes rarely get past a type's first field; damage to real frames reaches the rest.
        Gen.Select(AnyMessage, Gen.Int[0, 3], Gen.Int, Gen.Byte).Sample((message, how, where, value) =>
        {
            var frame = message.ToFrame();
            var payload = frame.AsSpan(FrameLimits.HeaderSize).ToArray();
            var at = payload.Length == 0 ? 0 : (int)((uint)where % (uint)payload.Length);
            var damaged = how switch
            {
                0 when payload.Length > 0 => Replace(payload, at, value),
                1 => payload[..at],
                2 => [.. payload[..at], value, .. payload[at..]],
                _ => [.. payload, .. payload[at..]],
            };
            DecodeOrRefuse(TypeOf(frame), damaged);
        }, iter: Runs * 5);
    }

    [Fact]
    public async Task A_stream_of_any_bytes_gives_frames_an_end_or_a_protocol_error()
    {
        var cases = new List<byte[]>();
        Gen.Byte.Array[0, 64].Select(tail => new byte[] { 0, 0, 0, (byte)(tail.Length % 70) }.Concat(tail).ToArray()).Sample(bytes =>
        {
            lock (cases)
            {
                cases.Add(bytes);
            }
        }, iter: 2_000);
        cases.Add([0, 0, 0, 0]);
        cases.Add([0xFF, 0xFF, 0xFF, 0xFF, 1]);
        cases.Add([0, 0]);

        foreach (var bytes in cases)
        {
            var reader = new FrameReader(new MemoryStream(bytes));
            try
            {
                while (await reader.ReadAsync(CancellationToken.None) is { } frame)
                {
                    DecodeOrRefuse(frame.Type, frame.Payload.ToArray());
                }
            }
            catch (ProtocolException)
            {
            }
        }
    }

    private static void DecodeOrRefuse(MessageType type, byte[] payload)
    {
        IMessage decoded;
        try
        {
            decoded = MessageCodec.Decode(type, payload);
        }
        catch (ProtocolException)
        {
            return;
        }

        // What was accepted writes out as a frame that reads back to the same bytes.
        var frame = decoded.ToFrame();
        Assert.Equal(frame, MessageCodec.Decode(TypeOf(frame), frame.AsSpan(FrameLimits.HeaderSize)).ToFrame());
    }

    private static MessageType TypeOf(byte[] frame) => (MessageType)frame[FrameLimits.HeaderSize - 1];

    private static byte[] Replace(byte[] payload, int at, byte value)
    {
        var copy = (byte[])payload.Clone();
        copy[at] = value;
        return copy;
    }

    // Types a peer sends but the codec does not read as a frame of their own.
    private static bool IsUndecodable(MessageType type)
    {
        try
        {
            MessageCodec.Decode(type, ReadOnlySpan<byte>.Empty);
            return false;
        }
        catch (ProtocolException e)
        {
            return e.Message.Contains("is not part of the protocol", StringComparison.Ordinal);
        }
    }
}
