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
        Assert.Contains("@alice+bob", refused.Message);
    }

    [Fact]
    public async Task A_reply_of_the_wrong_type_is_an_error_for_that_request_and_the_session_goes_on()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        // Every revocation list the client asks for is answered with a Left under the same tag.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, aliceProfile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toClient: (type, payload) => type == MessageType.Revocations
                ? [new Left(RevocationsReply.Read(payload).Tag, "ops").ToFrame()]
                : null);
        var alice = await ThroughAsync(proxy, aliceProfile);
        var wrong = await Assert.ThrowsAsync<OpenChatException>(() => alice.Client.FetchRevocationsAsync());
        Assert.Equal(ErrorIds.ProtocolViolation, wrong.ErrorId);

        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await bob.SendAsync("ops", "still reading");
        var received = await SecureHarness.NextWithTextAsync(alice, "still reading");
        await alice.DisposeAsync(); // the background loops ended cleanly: nothing to rethrow
    }

    [Fact]
    public async Task A_session_closed_for_good_never_overwrites_a_newer_sessions_state()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        var sayGoodbye = false;
        // The lying server ends alice's first connection with a revocation that never happened.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, aliceProfile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toClient: (type, _) => type == MessageType.Event && Volatile.Read(ref sayGoodbye)
                ? [new Bye(ErrorIds.CertificateRevoked, "revoked").ToFrame(), []]
                : null);
        var stale = await ThroughAsync(proxy, aliceProfile);
        await stale.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await stale.SendAsync("ops", "one");
        Volatile.Write(ref sayGoodbye, true);
        await bob.SendAsync("ops", "ping");
        await Eventually.TrueAsync(() => stale.Client.State == ChatClientState.Closed, "the first session closed");

        // A new session takes the profile over and moves its ratchet on.
        var fresh = await h.SecureAsync(aliceProfile);
        await fresh.EnterAsync("ops");
        await fresh.SendAsync("ops", "two");
        await fresh.SendAsync("ops", "three");
        await fresh.DisposeAsync();
        await stale.DisposeAsync(); // must not write its older state over the newer one

        await using var again = await h.SecureAsync(aliceProfile);
        await again.EnterAsync("ops");
        await again.SendAsync("ops", "four");
        SecureMessage received;
        do
        {
            received = await SecureHarness.NextAsync(bob);
        }
        while (received.Text is not ("four" or ""));
        Assert.Equal(("four", true), (received.Text, received.Verified));
    }
}
