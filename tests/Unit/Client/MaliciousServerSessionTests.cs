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
        var aliceCommitsBefore = CommitsBy(h, "alice");

        // A new session takes the profile over and moves its ratchet on, and (due after one
        // message) replaces its key in the room with an update: new leaf, new epoch, old keys erased.
        var fresh = await SecureSession.ConnectAsync(aliceProfile, ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), KeyUpdateAfterMessages = 1 });
        await fresh.EnterAsync("ops");
        // Caught up first: the message the first session never got makes the update due.
        await SecureHarness.NextWithTextAsync(fresh, "ping");
        await fresh.SendAsync("ops", "two");
        // Counted in the server's store, not from the session's epoch: the update may be made in
        // the background as soon as it is due (before "ping" reaches the test) or before the send,
        // and bob's own key update raises the epoch too.
        Assert.True(CommitsBy(h, "alice") > aliceCommitsBefore, "the fresh session committed a key update before it sent");
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
        Assert.Equal(bob.GroupEpoch("ops"), again.GroupEpoch("ops"));
    }

    // Commits the server has stored in 'ops' from this user (SQLite, or PostgreSQL on two nodes).
    private static int CommitsBy(ChatHarness h, string user) =>
        h.Server.MessageStore.Read("ops", 1, 100_000).Count(e => e.Kind == EventKind.Commit && string.Equals(e.Sender, user, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task A_commit_stored_while_its_device_was_cut_off_applies_after_a_restart_from_the_keys_saved_before_it_left()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        var armed = false;
        var cutOff = false;
        var statePath = Path.Combine(aliceProfile.Path, SecureSession.StateFile);
        var crashCopy = statePath + ".at-publish";
        // Once armed, alice's next publish (her update commit, made before the message) reaches the
        // server and is stored, and from then on nothing reaches alice: she never hears of it.
        await using var proxy = new TamperingProxy(h.DataPath, h.Server.Endpoint.Port, aliceProfile.LoadIdentity(ReadOnlySpan<char>.Empty),
            toClient: (_, _) => Volatile.Read(ref cutOff) ? [] : null,
            toServer: (type, _) =>
            {
                if (type == MessageType.Publish && Volatile.Read(ref armed) && !Volatile.Read(ref cutOff))
                {
                    // What is on alice's disk as the commit leaves: all a crash right now would keep.
                    File.Copy(statePath, crashCopy);
                    Volatile.Write(ref cutOff, true);
                }

                return null;
            });
        var first = await SecureSession.ConnectAsync(aliceProfile, ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { Server = proxy.Address, MaxReconnectDelay = TimeSpan.FromMilliseconds(200), KeyUpdateAfterMessages = 1 });
        await first.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await bob.SendAsync("ops", "one");
        await SecureHarness.NextWithTextAsync(first, "one");
        var epoch = bob.GroupEpoch("ops");

        Volatile.Write(ref armed, true);
        using var giveUp = new CancellationTokenSource();
        var sending = first.SendAsync("ops", "two", giveUp.Token);
        await Eventually.TrueAsync(() => bob.GroupEpoch("ops") > epoch, "alice's update stored and applied by bob", 20_000);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => sending);
        await first.DisposeAsync();
        // The device crashed as the commit left: only what it had saved by then survives.
        File.Move(crashCopy, statePath, overwrite: true);

        // The restarted device sees its own commit come back: the keys saved before it was
        // published open it, so it stays a member of the epoch everyone else is in.
        await using var again = await h.SecureAsync(aliceProfile);
        await again.EnterAsync("ops");
        Assert.Equal(bob.GroupEpoch("ops"), again.GroupEpoch("ops"));
        await again.SendAsync("ops", "after the restart");
        var received = await SecureHarness.NextWithTextAsync(bob, "after the restart");
        Assert.True(received.Verified);
    }
}
