using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>Connection places per user and per address, through a real server. Every test runs
/// from 127.0.0.1, so the per-address caps are set small here.</summary>
public sealed class ConnectionCapTests
{
    // The first frame the server answers a Hello with (Welcome, or Bye with its reason); the
    // connection is kept open when it was welcomed.
    private static async Task<(RawClient Client, Frame Answer)> GreetAsync(ChatHarness h, X509Certificate2? identity)
    {
        var client = await RawClient.ConnectAsync(h.Server.Endpoint.Port, identity, hello: false);
        await client.SendAsync(new Hello(ChatProtocol.Version, ChatProtocol.Version, "raw").ToFrame());
        using var deadline = new CancellationTokenSource(10_000);
        var answer = await client.Reader.ReadAsync(deadline.Token) ?? throw new InvalidOperationException("closed without an answer");
        return (client, new Frame(answer.Type, answer.Payload.ToArray()));
    }

    private static X509Certificate2 Identity(ChatProfile profile) => profile.LoadIdentity(ReadOnlySpan<char>.Empty)!;

    private static async Task AssertRefusedAsync(ChatHarness h, X509Certificate2? identity)
    {
        var (client, answer) = await GreetAsync(h, identity);
        await client.DisposeAsync();
        Assert.Equal(MessageType.Bye, answer.Type);
        Assert.Equal(ErrorIds.TooManyConnections, Bye.Read(answer.Payload.Span).Code);
    }

    // A closed connection's place is freed once the server has seen it close: try until welcomed.
    private static async Task<RawClient> WelcomedEventuallyAsync(ChatHarness h, X509Certificate2? identity)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var (client, answer) = await GreetAsync(h, identity);
            if (answer.Type == MessageType.Welcome)
            {
                return client;
            }

            await client.DisposeAsync();
            Assert.True(DateTime.UtcNow < deadline, "The closed connection's place was never freed.");
        }
    }

    [Fact]
    public async Task One_connection_over_the_users_cap_is_told_TooManyConnections_while_another_user_connects()
    {
        await using var h = await ChatHarness.StartAsync(o => o.MaxConnectionsPerUser = 2);
        using var mallory = Identity(await h.EnrollAsync("mallory"));
        using var bob = Identity(await h.EnrollAsync("bob"));
        var first = await RawClient.ConnectAsync(h.Server.Endpoint.Port, mallory);
        await using var second = await RawClient.ConnectAsync(h.Server.Endpoint.Port, mallory);

        await AssertRefusedAsync(h, mallory);
        await using var bobs = await RawClient.ConnectAsync(h.Server.Endpoint.Port, bob);

        await first.DisposeAsync();
        await using var again = await WelcomedEventuallyAsync(h, mallory);
    }

    [Fact]
    public async Task One_connection_over_the_addresss_cap_is_told_TooManyConnections_until_one_closes()
    {
        await using var h = await ChatHarness.StartAsync(o => o.MaxConnectionsPerAddress = 2);
        using var alice = Identity(await h.EnrollAsync("alice"));
        using var bob = Identity(await h.EnrollAsync("bob"));
        using var carol = Identity(await h.EnrollAsync("carol"));
        var alices = await RawClient.ConnectAsync(h.Server.Endpoint.Port, alice);
        await using var bobs = await RawClient.ConnectAsync(h.Server.Endpoint.Port, bob);

        await AssertRefusedAsync(h, carol);

        await alices.DisposeAsync();
        await using var carols = await WelcomedEventuallyAsync(h, carol);
    }

    [Fact]
    public async Task One_host_cannot_hold_more_than_its_share_of_enrollment_places()
    {
        await using var h = await ChatHarness.StartAsync(o => o.MaxEnrollmentConnectionsPerAddress = 2);
        using var alice = Identity(await h.EnrollAsync("alice"));
        var first = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null);
        await using var second = await RawClient.ConnectAsync(h.Server.Endpoint.Port, (X509Certificate2?)null);

        await AssertRefusedAsync(h, null);
        // Enrolled users are not counted against it.
        await using var alices = await RawClient.ConnectAsync(h.Server.Endpoint.Port, alice);

        await first.DisposeAsync();
        await using var third = await WelcomedEventuallyAsync(h, null);
    }
}
