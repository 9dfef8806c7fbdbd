using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>What a certified (or just-revoked) member could once do to everyone else, from a
/// review of the server: each now fails for that member alone.</summary>
public class ServerHardeningTests
{
    private static async Task<Frame?> NextOfAsync(RawClient raw, MessageType type, int timeoutMs = 10_000)
    {
        using var deadline = new CancellationTokenSource(timeoutMs);
        while (await raw.Reader.ReadAsync(deadline.Token) is { } frame)
        {
            if (frame.Type == type || frame.Type == MessageType.Bye || frame.Type == MessageType.Error)
            {
                // The payload buffer is reused by the next read: keep a copy.
                return new Frame(frame.Type, frame.Payload.ToArray());
            }
        }

        return null;
    }

    // The first member creates the room (create: true); the others join it.
    private static async Task<RawClient> MemberAsync(ChatHarness h, string user, string room, bool create = false)
    {
        var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync(user));
        await raw.SendAsync(new NameRequest(create ? MessageType.CreateRoom : MessageType.Join, 1, room).ToFrame());
        Assert.Equal(MessageType.Joined, (await NextOfAsync(raw, MessageType.Joined))?.Type);
        return raw;
    }

    [Fact]
    public async Task A_message_too_large_to_deliver_is_refused_before_it_is_stored()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var mallory = await MemberAsync(h, "mallory", "ops", create: true);
        await using var bob = await MemberAsync(h, "bob", "ops");
        // The largest Publish the frame limit allows; its Event (with sender and serial) would not fit.
        var publish = new Publish(2, "ops", Guid.NewGuid(), EventKind.Chat, 0, new byte[FrameLimits.MaxFrameSize - 39]).ToFrame();
        await mallory.SendAsync(publish);
        var reply = await NextOfAsync(mallory, MessageType.Ack);
        Assert.Equal(MessageType.Error, reply?.Type);
        Assert.Equal(ErrorIds.MessageTooLarge, ErrorReply.Read(reply!.Value.Payload.Span).Code);
        Assert.Equal(0, h.Server.GetStatistics().MessagesStored);

        // The room still works for everyone, history included.
        await mallory.SendAsync(new Publish(3, "ops", Guid.NewGuid(), EventKind.Chat, 0, new byte[10]).ToFrame());
        Assert.Equal(MessageType.Ack, (await NextOfAsync(mallory, MessageType.Ack))?.Type);
        await bob.SendAsync(new HistoryRequest(7, "ops", 1, 100).ToFrame());
        Assert.Equal(MessageType.HistoryEnd, (await NextOfAsync(bob, MessageType.HistoryEnd))?.Type);
    }

    [Fact]
    public async Task However_many_rooms_exist_the_room_list_still_fits_in_a_frame_with_the_users_own_rooms()
    {
        await using var h = await ChatHarness.StartAsync(o =>
        {
            o.RequestsPerSecond = 100_000;
            o.RequestBurst = 100_000;
            o.RoomCreationsPerMinute = 1_000_000; // what a patient flooder gets over time
            o.RoomCreationBurst = 1_000_000;
        });
        await using var bob = await MemberAsync(h, "bob", "zz-mine", create: true);
        await using var mallory = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("mallory"));
        const int rooms = 4200; // 48-character names: a full list would be well over 256 KB
        var pad = new string('x', 41);
        var joined = Task.Run(async () =>
        {
            var count = 0;
            while (count < rooms && await mallory.Reader.ReadAsync(CancellationToken.None) is { } frame)
            {
                count += frame.Type == MessageType.Joined ? 1 : 0;
            }

            return count;
        });
        for (var i = 0; i < rooms; i += 100)
        {
            var batch = new MemoryStream();
            for (var j = i; j < Math.Min(rooms, i + 100); j++)
            {
                batch.Write(new NameRequest(MessageType.CreateRoom, (uint)j + 10, $"r{j:D6}{pad}").ToFrame());
            }

            await mallory.SendAsync(batch.ToArray());
        }

        Assert.Equal(rooms, await joined.WaitAsync(TimeSpan.FromSeconds(60)));
        await bob.SendAsync(new NameRequest(MessageType.ListRooms, 9, "").ToFrame());
        var reply = await NextOfAsync(bob, MessageType.RoomList);
        Assert.Equal(MessageType.RoomList, reply?.Type);
        var list = RoomList.Read(reply!.Value.Payload.Span);
        Assert.Contains(list.Rooms, r => r.Name == "zz-mine" && r.Joined);
        Assert.True(list.Rooms.Count < rooms + 1);
    }

    [Fact]
    public async Task A_certificate_revoked_between_handshake_and_greeting_gets_no_session()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("bob");
        await using var raw = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile, hello: false);
        // With TLS 1.3 the client is done before the server has judged its certificate: the first
        // bytes of the greeting can only be read once the server's side of the handshake is over too.
        var hello = new Hello(ChatProtocol.Version, ChatProtocol.Version, "raw").ToFrame();
        await raw.SendAsync(hello[..3]);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "bob").Single().Serial);
        // The server's watch loop looks back about two seconds; the greeting ends later than that.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await raw.SendAsync(hello[3..]);
        var reply = await NextOfAsync(raw, MessageType.Welcome);
        Assert.Equal(MessageType.Bye, reply?.Type);
        Assert.Equal(ErrorIds.CertificateRevoked, Bye.Read(reply!.Value.Payload.Span).Code);
    }

    [Fact]
    public async Task One_members_flood_of_large_messages_is_rate_limited_and_nobody_else_is_dropped()
    {
        await using var h = await ChatHarness.StartAsync();
        var closed = new List<string>();
        h.Server.ConnectionClosed += (_, e) =>
        {
            lock (closed)
            {
                closed.Add($"{e.UserName}:{e.Reason}");
            }
        };
        await using var alice = await MemberAsync(h, "alice", "ops", create: true);
        await using var mallory = await MemberAsync(h, "mallory", "ops");
        var body = new byte[200 * 1024];
        var flood = new MemoryStream();
        for (var i = 0; i < 400; i++)
        {
            flood.Write(new Publish((uint)i + 10, "ops", Guid.NewGuid(), EventKind.Chat, 0, body).ToFrame());
        }

        var limited = 0;
        var answered = 0;
        var answers = Task.Run(async () =>
        {
            while (answered < 400 && await NextOfAsync(mallory, MessageType.Ack) is { } frame)
            {
                answered++;
                if (frame.Type == MessageType.Error && ErrorReply.Read(frame.Payload.Span).Code == ErrorIds.RateLimited)
                {
                    limited++;
                }
            }
        });
        await mallory.SendAsync(flood.ToArray());
        // Alice reads everything she is sent, as a live client does.
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await alice.Reader.ReadAsync(CancellationToken.None) is not null)
                {
                }
            }
            catch (Exception)
            {
            }
        });
        await answers.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(limited > 0, "the byte rate limit refused part of the flood");
        lock (closed)
        {
            Assert.DoesNotContain(closed, c => c.StartsWith("alice:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task New_rooms_are_limited_per_connection_and_per_server()
    {
        await using var h = await ChatHarness.StartAsync(o => { o.RoomCreationBurst = 3; o.RoomCreationsPerMinute = 0.001; o.MaxRooms = 5; });
        await using var mallory = await MemberAsync(h, "mallory", "first", create: true);
        async Task<Frame?> CreateAsync(RawClient client, string room)
        {
            await client.SendAsync(new NameRequest(MessageType.CreateRoom, 5, room).ToFrame());
            return await NextOfAsync(client, MessageType.Joined);
        }

        Assert.Equal(MessageType.Joined, (await CreateAsync(mallory, "second"))?.Type);
        Assert.Equal(MessageType.Joined, (await CreateAsync(mallory, "third"))?.Type);
        var limited = await CreateAsync(mallory, "fourth");
        Assert.Equal(ErrorIds.RateLimited, ErrorReply.Read(limited!.Value.Payload.Span).Code);
        // Joining a room that exists is not creating one.
        await using var bob = await MemberAsync(h, "bob", "first");

        // The server's own bound holds whoever asks.
        Assert.Equal(MessageType.Joined, (await CreateAsync(bob, "fourth"))?.Type);
        Assert.Equal(MessageType.Joined, (await CreateAsync(bob, "fifth"))?.Type);
        var full = await CreateAsync(bob, "sixth");
        Assert.Equal(ErrorIds.RoomLimitReached, ErrorReply.Read(full!.Value.Payload.Span).Code);
    }

    [Fact]
    public async Task New_rooms_are_limited_per_user_however_many_connections_the_user_opens()
    {
        await using var h = await ChatHarness.StartAsync(o => { o.RoomCreationBurst = 3; o.RoomCreationsPerMinute = 0.001; });
        var profile = await h.EnrollAsync("mallory");
        await using var first = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
        await using var second = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
        async Task<Frame?> CreateAsync(RawClient client, string room)
        {
            await client.SendAsync(new NameRequest(MessageType.CreateRoom, 5, room).ToFrame());
            return await NextOfAsync(client, MessageType.Joined);
        }

        Assert.Equal(MessageType.Joined, (await CreateAsync(first, "one"))?.Type);
        Assert.Equal(MessageType.Joined, (await CreateAsync(second, "two"))?.Type);
        Assert.Equal(MessageType.Joined, (await CreateAsync(first, "three"))?.Type);
        var limited = await CreateAsync(second, "four");
        Assert.Equal(ErrorIds.RateLimited, ErrorReply.Read(limited!.Value.Payload.Span).Code);

        // A reconnect does not refill the budget either.
        await using var third = await RawClient.ConnectAsync(h.Server.Endpoint.Port, profile);
        var again = await CreateAsync(third, "four");
        Assert.Equal(ErrorIds.RateLimited, ErrorReply.Read(again!.Value.Payload.Span).Code);

        // Someone else still creates rooms.
        await using var bob = await RawClient.ConnectAsync(h.Server.Endpoint.Port, await h.EnrollAsync("bob"));
        Assert.Equal(MessageType.Joined, (await CreateAsync(bob, "four"))?.Type);
    }
}
