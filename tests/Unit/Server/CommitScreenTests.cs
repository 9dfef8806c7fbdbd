using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>The server refuses, before it sequences them, commits no member could accept, and
/// limits how often one user may change any room's encryption: one member cannot stall a room.</summary>
public class CommitScreenTests
{
    [Fact]
    public async Task Hundreds_of_junk_commits_are_refused_and_the_room_keeps_working()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await using var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        var joined = await mallory.JoinAsync("ops");

        for (var i = 0; i < 300; i++)
        {
            var e = await Assert.ThrowsAsync<OpenChatException>(() =>
                mallory.PublishAsync("ops", RandomNumberGenerator.GetBytes(16), EventKind.Commit, joined.Epoch));
            Assert.Equal(ErrorIds.CommitRefused, e.ErrorId);
        }

        Assert.Equal(joined.Epoch, (await mallory.JoinAsync("ops")).Epoch);
        await alice.SendAsync("ops", "still readable");
        await bob.SendAsync("ops", "and back");
        Assert.Equal("alice", (await SecureHarness.NextWithTextAsync(bob, "still readable")).Sender);
        Assert.Equal("bob", (await SecureHarness.NextWithTextAsync(alice, "and back")).Sender);
    }

    [Fact]
    public async Task A_commit_naming_another_committer_or_signed_by_another_key_is_refused()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.ConnectAsync(await h.EnrollAsync("alice"));
        await using var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        await mallory.CreateRoomAsync("ops");
        await alice.JoinAsync("ops");

        var impersonating = SignedCommits.For(mallory, "ops", CommitReason.Create, committerSerial: alice.Identity.SerialNumber);
        var e = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", impersonating, EventKind.Commit, 0));
        Assert.Equal(ErrorIds.CommitRefused, e.ErrorId);
        Assert.Contains("another device", e.Message);

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = SignedCommits.For(mallory, "ops", CommitReason.Create, signWith: otherKey);
        e = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", forged, EventKind.Commit, 0));
        Assert.Equal(ErrorIds.CommitRefused, e.ErrorId);
        Assert.Contains("not signed", e.Message);

        var otherRoom = SignedCommits.For(mallory, "elsewhere", CommitReason.Create);
        e = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", otherRoom, EventKind.Commit, 0));
        Assert.Contains("another room", e.Message);
        Assert.Equal(0UL, (await alice.JoinAsync("ops")).Epoch);
    }

    [Fact]
    public async Task Only_the_first_commit_of_a_room_may_found_its_group()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.ConnectAsync(await h.EnrollAsync("alice"));
        await using var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        await alice.CreateRoomAsync("ops");
        await SignedCommits.PublishPackageAsync(alice, "ops");
        var join = SignedCommits.For(alice, "ops", CommitReason.Join);
        var e = await Assert.ThrowsAsync<OpenChatException>(() => alice.PublishAsync("ops", join, EventKind.Commit, 0));
        Assert.Contains("only a create commit", e.Message);
        await alice.PublishAsync("ops", SignedCommits.For(alice, "ops", CommitReason.Create), EventKind.Commit, 0);

        var joined = await mallory.JoinAsync("ops");
        Assert.Equal(1UL, joined.Epoch);
        await SignedCommits.PublishPackageAsync(mallory, "ops");
        e = await Assert.ThrowsAsync<OpenChatException>(() =>
            mallory.PublishAsync("ops", SignedCommits.For(mallory, "ops", CommitReason.Create), EventKind.Commit, joined.Epoch));
        Assert.Equal(ErrorIds.CommitRefused, e.ErrorId);
        Assert.Contains("already has an encrypted group", e.Message);
    }

    [Fact]
    public async Task A_users_commit_budget_holds_across_reconnects()
    {
        await using var h = await ChatHarness.StartAsync(o =>
        {
            o.CommitBurst = 3;
            o.CommitsPerMinute = 0.01;
        });
        var profile = await h.EnrollAsync("mallory");
        await using var observer = await h.UserAsync("olive");
        var mallory = await h.ConnectAsync(profile);
        var epoch = (await mallory.CreateRoomAsync("ops")).Epoch;
        await SignedCommits.PublishPackageAsync(mallory, "ops");
        await mallory.PublishAsync("ops", SignedCommits.For(mallory, "ops", CommitReason.Create), EventKind.Commit, epoch++);
        for (var i = 0; i < 2; i++)
        {
            await mallory.PublishAsync("ops", SignedCommits.For(mallory, "ops", CommitReason.Rotate), EventKind.Commit, epoch++);
        }

        // A fresh connection (a fresh per-connection budget) does not refill the user's: the commit
        // is held back (the client retries a rate-limited publish) and never stored.
        await mallory.DisposeAsync();
        await using var again = await h.ConnectAsync(profile);
        await again.JoinAsync("ops");
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            again.PublishAsync("ops", SignedCommits.For(again, "ops", CommitReason.Rotate), EventKind.Commit, epoch, cancellationToken: wait.Token));
        Assert.Equal(epoch, (await observer.JoinAsync("ops")).Epoch);
    }

    [Fact]
    public async Task A_signed_create_no_member_could_accept_is_refused_so_the_room_can_still_be_founded()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        await mallory.CreateRoomAsync("ops");

        // Each of these is signed by mallory's own device, names her and lists her, yet every
        // member would refuse it; stored, it would have left "ops" with no group for good.
        using var otherAgreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var neverPublished = KeyPackage.Create(mallory.Identity, mallory.Identity.GetECDsaPrivateKey()!, otherAgreement, DateTimeOffset.UtcNow);
        await SignedCommits.PublishPackageAsync(mallory, "ops");
        var unpublished = SignedCommits.For(mallory, "ops", CommitReason.Create, package: neverPublished);
        var wrongEpoch = SignedCommits.For(mallory, "ops", CommitReason.Create, epoch: 7);
        var withParent = SignedCommits.For(mallory, "ops", CommitReason.Create, parentHash: RandomNumberGenerator.GetBytes(32));
        foreach (var body in new[] { unpublished, wrongEpoch, withParent })
        {
            var e = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", body, EventKind.Commit, 0));
            Assert.Equal(ErrorIds.CommitRefused, e.ErrorId);
        }

        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.EnterAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "founded after all");
        Assert.Equal("alice", (await SecureHarness.NextWithTextAsync(bob, "founded after all")).Sender);
    }

    [Fact]
    public async Task A_revoked_devices_commit_is_refused_even_before_its_connection_is_closed()
    {
        await using var h = await ChatHarness.StartAsync(o => o.RevocationPollInterval = TimeSpan.FromHours(1));
        await using var mallory = await h.ConnectAsync(await h.EnrollAsync("mallory"));
        await mallory.CreateRoomAsync("ops");
        await SignedCommits.PublishPackageAsync(mallory, "ops");
        var registry = new OpenChat.Engine.Pki.CertificateRegistry(new OpenChat.Engine.Pki.CaDirectory(h.DataPath));
        registry.Revoke(mallory.Identity.SerialNumber);
        var e = await Assert.ThrowsAsync<OpenChatException>(() => mallory.PublishAsync("ops", SignedCommits.For(mallory, "ops", CommitReason.Create), EventKind.Commit, 0));
        Assert.Equal(ErrorIds.CommitRefused, e.ErrorId);
        Assert.Contains("revoked", e.Message);
    }

    [Fact]
    public void The_commit_budget_is_per_user()
    {
        var budget = new OpenChat.Engine.Server.CommitBudget(perMinute: 0.01, burst: 2);
        Assert.True(budget.TryTake("mallory"));
        Assert.True(budget.TryTake("mallory"));
        Assert.False(budget.TryTake("mallory"));
        Assert.True(budget.TryTake("bob"));
    }
}
