using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>A live client behind a server that lies (a <see cref="TamperingProxy"/> holding the
/// real server's key): what it is told must not make it encrypt for the wrong people or stop.</summary>
public class MaliciousServerSessionTests
{
    private static async Task<SecureSession> ThroughAsync(TamperingProxy proxy, ChatProfile profile) =>
        await SecureSession.ConnectAsync(profile, ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { Server = proxy.Address, MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });

    [Fact]
    public async Task A_direct_conversation_answered_with_another_users_room_is_refused()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await using var mallory = await h.SecureAsync(await h.EnrollAsync("mallory"));
        // Asked for bob, the server opens (and answers with) alice's conversation with mallory.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, aliceProfile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toServer: (type, payload) => type == MessageType.OpenDirect && NameRequest.Read(type, payload) is { Name: "bob" } asked
                ? [new NameRequest(type, asked.Tag, "mallory").ToFrame()]
                : null);
        await using var alice = await ThroughAsync(proxy, aliceProfile);

        var refused = await Assert.ThrowsAsync<OpenChatException>(() => alice.OpenDirectAsync("bob"));
        Assert.Equal(ErrorIds.ServerNotTrusted, refused.ErrorId);
        Assert.DoesNotContain("@alice+mallory", alice.Client.JoinedRooms);
    }
}
