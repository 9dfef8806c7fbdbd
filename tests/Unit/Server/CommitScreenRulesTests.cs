using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using OpenChat.Engine.Transport;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>Each rule of the server's commit screen refuses what it names (the live tests in
/// CommitScreenTests cover the ones a raw client meets first).</summary>
public class CommitScreenRulesTests
{
    private sealed class Device : IDisposable
    {
        public Device(Ca ca, string user)
        {
            Certificate = ca.Authority.IssueClient(user, additionalDevice: true).Certificate;
            Key = Certificate.GetECDsaPrivateKey()!;
            Agreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            Package = KeyPackage.Create(Certificate, Key, Agreement, DateTimeOffset.UtcNow);
            Identity = new PeerIdentity(user, Certificate.SerialNumber, Certificate.NotAfter, Signatures.PublicPoint(Key));
        }

        public X509Certificate2 Certificate { get; }

        public ECDsa Key { get; }

        public ECDiffieHellman Agreement { get; }

        public KeyPackage Package { get; }

        public PeerIdentity Identity { get; }

        public void Dispose()
        {
            Key.Dispose();
            Agreement.Dispose();
        }
    }

    private static string? Screen(Device by, CommitReason reason, IReadOnlyList<KeyPackage> members, ulong builtOn = 3, ulong epoch = 4, string room = "ops")
    {
        var (commit, secret) = Commit.CreateLegacy(room, epoch, new byte[32], by.Identity.Serial, by.Key, reason, members);
        CryptographicOperations.ZeroMemory(secret);
        var publish = new Publish(1, "ops", Guid.NewGuid(), EventKind.Commit, builtOn, commit.ToBytes());
        return CommitScreen.Refusal(publish, "ops", by.Identity, () => [by.Package.ToBytes()]);
    }

    [Fact]
    public void A_well_formed_rotation_by_its_own_device_passes()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        using var bob = new Device(ca, "bob");
        Assert.Null(Screen(alice, CommitReason.Rotate, [alice.Package, bob.Package]));
    }

    [Fact]
    public void A_commit_listing_a_device_twice_is_refused()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        using var bob = new Device(ca, "bob");
        Assert.Contains("names a device twice", Screen(alice, CommitReason.Rotate, [alice.Package, bob.Package, bob.Package]));
    }

    [Fact]
    public void A_commit_whose_committer_is_not_among_its_members_is_refused()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        using var bob = new Device(ca, "bob");
        Assert.Contains("committer is not a member", Screen(alice, CommitReason.Remove, [bob.Package]));
    }

    [Fact]
    public void A_commit_of_an_unknown_reason_is_refused()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        Assert.Contains("unknown reason", Screen(alice, (CommitReason)9, [alice.Package]));
    }

    [Fact]
    public void A_create_that_holds_another_member_is_refused()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        using var bob = new Device(ca, "bob");
        Assert.Contains("only its committer", Screen(alice, CommitReason.Create, [alice.Package, bob.Package], builtOn: 0, epoch: 1));
        Assert.Null(Screen(alice, CommitReason.Create, [alice.Package], builtOn: 0, epoch: 1));
    }

    [Fact]
    public void A_commit_other_than_a_create_on_a_room_with_no_group_is_refused()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        Assert.Contains("no encrypted group yet", Screen(alice, CommitReason.Join, [alice.Package], builtOn: 0));
    }

    [Fact]
    public void A_format_2_create_names_its_committer_by_its_fresh_key_and_still_needs_its_published_package()
    {
        using var ca = new Ca();
        using var alice = new Device(ca, "alice");
        using var bob = new Device(ca, "bob");
        var (commit, _) = CommitBuilder.Build("ops", 1, new byte[32], alice.Identity.Serial, alice.Key, CommitReason.Create, RoomPolicy.Legacy,
            [new CommitTarget(alice.Identity.Serial, CommitTargetKind.Committer, [], [])], CommitInit.Create());
        var publish = new Publish(1, "ops", Guid.NewGuid(), EventKind.Commit, 0, commit.ToBytes());
        Assert.Null(CommitScreen.Refusal(publish, "ops", alice.Identity, () => [alice.Package.ToBytes()]));
        Assert.Contains("publish it first", CommitScreen.Refusal(publish, "ops", alice.Identity, () => [bob.Package.ToBytes()]));

        // A reference that is neither the committer key's nor the package's is refused.
        var misnamed = commit with { Members = [commit.Members[0] with { PackageReference = new byte[16] }] };
        var signed = misnamed with { Signature = Signatures.Sign(alice.Key, misnamed.SignedPart()) };
        var republished = new Publish(1, "ops", Guid.NewGuid(), EventKind.Commit, 0, signed.ToBytes());
        Assert.Contains("publish it first", CommitScreen.Refusal(republished, "ops", alice.Identity, () => [alice.Package.ToBytes()]));
    }
}
