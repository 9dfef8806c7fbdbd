using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Through a live server: people who join long after someone was revoked follow the
/// one group everyone else is in (issue 9's first report, end to end).</summary>
public class LateJoinerTests
{
    [Fact]
    public async Task A_joiner_after_the_founders_revocation_reads_and_is_read_by_everyone()
    {
        await using var h = await ChatHarness.StartAsync();
        var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "founded by alice");
        await SecureHarness.NextWithTextAsync(bob, "founded by alice");

        var registry = new CertificateRegistry(new CaDirectory(h.DataPath));
        registry.Revoke(registry.Find(userName: "alice").Single().Serial);
        await alice.DisposeAsync();
        // Bob's send removes alice first.
        await bob.SendAsync("ops", "alice is gone");
        Assert.DoesNotContain("alice", bob.GroupMembers("ops"));

        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await carol.EnterAsync("ops");
        await carol.SendAsync("ops", "hello from carol");
        await bob.SendAsync("ops", "hello carol");
        Assert.Equal("carol", (await SecureHarness.NextWithTextAsync(bob, "hello from carol")).Sender);
        var read = await SecureHarness.NextWithTextAsync(carol, "hello carol");
        Assert.True(read.Verified);
        Assert.Equal(bob.GroupEpoch("ops"), carol.GroupEpoch("ops"));

        // A second device of bob's joins too.
        var (_, code) = new InviteBook(new CaDirectory(h.DataPath)).Create("bob", server: h.Address, additionalDevice: true);
        var laptop = await ChatEnrollment.RegisterAsync(code.ToString(), Path.Combine(h.ProfileRoot, "laptop"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var bobLaptop = await h.SecureAsync(laptop);
        await bobLaptop.EnterAsync("ops");
        await bobLaptop.SendAsync("ops", "from bob's laptop");
        await SecureHarness.NextWithTextAsync(carol, "from bob's laptop");
        await carol.SendAsync("ops", "to both of bob's devices");
        await SecureHarness.NextWithTextAsync(bobLaptop, "to both of bob's devices");
    }
}

/// <summary>A device whose clock runs far ahead believes a member expired; the others (and its
/// own group, which judges by the room's clock) refuse the removal. It must stop and say so, not
/// retry the refused commit until its commit budget is gone.</summary>
public class FastClockTests
{
    [Fact]
    public async Task A_device_whose_removal_its_own_group_refuses_stops_with_CommitRefused()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await bob.CreateRoomAsync("ops");
        await bob.SendAsync("ops", "bob founded ops");

        var fast = new ManualTime(DateTimeOffset.UtcNow.AddDays(366));
        await using var alice = await SecureSession.ConnectAsync(await h.EnrollAsync("alice"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), Time = fast });
        await alice.EnterAsync("ops");
        var e = await Assert.ThrowsAsync<OpenChat.Engine.OpenChatException>(() => alice.SendAsync("ops", "bob looks expired to me"));
        Assert.Equal(OpenChat.Engine.ErrorIds.CommitRefused, e.ErrorId);
        Assert.Contains("clock", e.Message);

        // Bob is still in, and reads on.
        await bob.SendAsync("ops", "still here");
        Assert.Contains("bob", bob.GroupMembers("ops"));
    }
}
