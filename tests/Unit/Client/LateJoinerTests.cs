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
        await alice.EnterAsync("ops");
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
