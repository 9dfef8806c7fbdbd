using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>What the client's connection does leaves a trace in its log, never message text.</summary>
public class ClientLoggingTests
{
    [Fact]
    public async Task A_frame_the_client_does_not_accept_is_logged_as_the_server_breaking_the_protocol()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        // The server's answer to a room listing becomes a Hello, which only a client sends.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, profile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toClient: (type, _) => type == MessageType.RoomList ? [new Hello(1, 1, "not a server").ToFrame()] : null);
        var log = new RecordingLogger();
        await using var client = await h.ConnectAsync(profile, new ChatClientOptions
        {
            Server = proxy.Address,
            MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
            LoggerFactory = new RecordingLoggerFactory(log),
        });
        Assert.True(log.Logged("Connected"));

        var lost = await Assert.ThrowsAsync<OpenChatException>(() => client.ListRoomsAsync());

        Assert.Equal(ErrorIds.ConnectionLost, lost.ErrorId);
        await Eventually.TrueAsync(() => log.Logged("ServerBrokeProtocol") && log.Logged("Disconnected"), "the violation to be logged");
        Assert.Contains(log.Events, e => e.Id.Name == "ServerBrokeProtocol" && e.Text.Contains("Hello"));
    }

    [Fact]
    public async Task An_event_whose_source_the_server_never_named_ends_the_connection_and_is_not_delivered()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        // The server's events reach the client without the EventSource frames that name them.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, profile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toClient: (type, _) => type == MessageType.EventSource ? [] : null);
        var log = new RecordingLogger();
        await using var client = await h.ConnectAsync(profile, new ChatClientOptions
        {
            Server = proxy.Address,
            MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
            LoggerFactory = new RecordingLoggerFactory(log),
        });
        await client.CreateRoomAsync("ops");

        _ = client.PublishAsync("ops", "no name"u8.ToArray());

        await Eventually.TrueAsync(() => log.Events.Any(e => e.Id.Name == "ServerBrokeProtocol" && e.Text.Contains("EventSource")),
            "the nameless event to be refused as the server breaking the protocol");
        using var none = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReceiveAsync(none.Token).AsTask());
    }

    [Fact]
    public async Task A_message_published_and_received_leaves_its_text_out_of_the_log()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var log = new RecordingLogger();
        await using var client = await h.ConnectAsync(profile, new ChatClientOptions { LoggerFactory = new RecordingLoggerFactory(log) });
        await client.CreateRoomAsync("ops");
        await client.PublishAsync("ops", "a secret plan"u8.ToArray());
        await Eventually.NextAsync(client);
        client.DropConnection();
        await Eventually.TrueAsync(() => client.State == ChatClientState.Connected && log.Events.Count(e => e.Id.Name == "Connected") == 2, "the reconnect");

        Assert.True(log.Logged("Disconnected"));
        Assert.DoesNotContain(log.Events, e => e.Text.Contains("secret"));
    }
}
