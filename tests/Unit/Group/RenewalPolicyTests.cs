using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Group;

/// <summary>Each rule of a renewal commit (<see cref="CommitReason.Renew"/>) on its own, as
/// <see cref="CommitPolicyTests"/> does for the other reasons: unsigned commits judged by both
/// steps of the policy against a roster of verified packages.</summary>
public sealed class RenewalPolicyTests : IDisposable
{
    private const string Room = "ops";
    private static readonly byte[] LastHash = Enumerable.Repeat((byte)7, 32).ToArray();

    private readonly GroupHarness _h = new(Room);
    private readonly GroupHarness.Member _aliceDevice;
    private readonly KeyPackage _alice;
    private readonly KeyPackage _alice2;
    private readonly KeyPackage _bob;
    private readonly KeyPackage _carol;
    private readonly KeyPackage _shortLived;
    private readonly KeyPackage _sameKey;
    private readonly KeyPackage _handedOver;
    private readonly KeyPackage _newKeyBare;
    private readonly KeyPackage _handedOverFromAlice2;
    private readonly KeyPackage _shortLivedRenewed;
    private readonly MemberValidity _validity;

    public RenewalPolicyTests()
    {
        _aliceDevice = _h.Add("alice");
        _alice = _aliceDevice.Identity.Package;
        var alice2 = _h.Add("alice");
        _alice2 = alice2.Identity.Package;
        _bob = _h.Add("bob").Identity.Package;
        _carol = _h.Add("carol").Identity.Package;
        var erin = _h.Add("erin", validDays: 1);
        _shortLived = erin.Identity.Package;
        _sameKey = PackageFor(_aliceDevice.Identity.SigningKey, "alice");
        _shortLivedRenewed = PackageFor(erin.Identity.SigningKey, "erin");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _handedOver = PackageFor(nextKey, "alice", KeyHandover.Create(_aliceDevice.Identity.Certificate, _aliceDevice.Identity.SigningKey, nextKey, At));
        using var bareKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _newKeyBare = PackageFor(bareKey, "alice");
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _handedOverFromAlice2 = PackageFor(otherKey, "alice", KeyHandover.Create(alice2.Identity.Certificate, alice2.Identity.SigningKey, otherKey, At));
        _validity = new MemberValidity(_h.Verifier);
        foreach (var package in Known())
        {
            Assert.True(package.Verify(_h.Verifier, At, out var reason), reason);
        }
    }

    public void Dispose() => _h.Dispose();

    private DateTimeOffset At => _h.Time.GetUtcNow();

    private KeyPackage PackageFor(ECDsa key, string user, KeyHandover? handover = null)
    {
        var csr = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var certificate = _h.Authority.SignRequest(csr, user, additionalDevice: true).Certificate;
        using var agreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return KeyPackage.Create(certificate, key, agreement, At, handover);
    }

    [Fact]
    public void A_same_key_renewal_in_place_of_its_previous_certificate_is_allowed()
    {
        Assert.Null(Judge(CommitBy(_sameKey, _sameKey, _bob, _carol), Members(_alice, _bob, _carol)));
    }

    [Fact]
    public void A_new_key_renewal_with_a_handover_from_the_replaced_certificate_is_allowed()
    {
        Assert.Null(Judge(CommitBy(_handedOver, _handedOver, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_in_place_of_another_users_device_is_refused()
    {
        Assert.Equal(RejectReason.RenewOfOtherUser, Judge(CommitBy(_sameKey, _alice, _sameKey), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_to_a_different_key_without_a_handover_is_refused()
    {
        Assert.Equal(RejectReason.RenewKeyWithoutHandover, Judge(CommitBy(_newKeyBare, _newKeyBare, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_whose_handover_comes_from_another_member_is_refused()
    {
        // The handover is alice's second device's, the place taken her first device's.
        Assert.Equal(RejectReason.RenewHandoverFromAnother,
            Judge(CommitBy(_handedOverFromAlice2, _handedOverFromAlice2, _alice2, _bob), Members(_alice, _alice2, _bob)));
        Assert.Null(Judge(CommitBy(_handedOverFromAlice2, _alice, _handedOverFromAlice2, _bob), Members(_alice, _alice2, _bob)));
    }

    [Fact]
    public void A_renewal_in_place_of_a_revoked_certificate_is_refused()
    {
        _h.Verifier.MarkRevoked([new RevokedSerial(_alice.Serial, At.AddMinutes(-1))]);
        Assert.Equal(RejectReason.RenewOfRevoked, Judge(CommitBy(_sameKey, _sameKey, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_revoked_only_after_it_was_sequenced_counts()
    {
        _h.Verifier.MarkRevoked([new RevokedSerial(_alice.Serial, At.AddMinutes(10))]);
        Assert.Null(Judge(CommitBy(_sameKey, _sameKey, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_that_replaces_two_members_is_refused()
    {
        Assert.Equal(RejectReason.RenewReplacesNotOne, Judge(CommitBy(_sameKey, _sameKey, _bob), Members(_alice, _alice2, _bob)));
    }

    [Fact]
    public void A_renewal_that_also_removes_someone_else_is_refused()
    {
        Assert.Equal(RejectReason.RenewReplacesNotOne, Judge(CommitBy(_sameKey, _sameKey, _bob), Members(_alice, _bob, _carol)));
    }

    [Fact]
    public void A_renewal_that_replaces_nobody_is_refused()
    {
        Assert.Equal(RejectReason.RenewReplacesNotOne, Judge(CommitBy(_sameKey, _alice, _sameKey, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_that_also_adds_someone_is_refused()
    {
        Assert.Equal(RejectReason.RenewAddsOthers, Judge(CommitBy(_sameKey, _sameKey, _bob, _carol), Members(_alice, _bob)));
    }

    [Fact]
    public void A_renewal_by_a_device_already_a_member_is_refused()
    {
        Assert.Equal(RejectReason.RenewByMember, Judge(CommitBy(_sameKey, _sameKey, _bob), Members(_alice, _sameKey, _bob)));
    }

    [Fact]
    public void A_renewal_in_place_of_a_departed_device_is_refused()
    {
        var roster = Roster.Restore([_alice.Serial, _bob.Serial], [_alice.Serial], Known());
        Assert.Equal(RejectReason.RenewOfDeparted, Judge(CommitBy(_sameKey, _sameKey, _bob), roster));
    }

    [Fact]
    public void An_expired_certificate_renews_within_the_grace_window_and_not_after_it()
    {
        var commit = CommitBy(_shortLivedRenewed, _shortLivedRenewed, _bob);
        Assert.Null(Judge(commit, Members(_shortLived, _bob), at: _shortLived.NotAfter.AddDays(2)));
        Assert.Equal(RejectReason.RenewAfterGrace, Judge(commit, Members(_shortLived, _bob), at: _shortLived.NotAfter + RenewalPolicy.Grace + TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void A_renewal_published_by_another_device_is_refused()
    {
        Assert.Equal(RejectReason.CommitterNotPublisher, Judge(CommitBy(_sameKey, _sameKey, _bob), Members(_alice, _bob), PublishedBy(_alice)));
    }

    [Fact]
    public void The_other_reasons_still_refuse_a_newcomer_that_replaces_a_member()
    {
        // Only a renewal may drop a member for a newcomer; a join of the same shape is refused.
        var commit = CommitBy(_sameKey, _sameKey, _bob) with { Reason = CommitReason.Join };
        Assert.Equal(RejectReason.JoinChangesOthers, Judge(commit, Members(_alice, _bob)));
    }

    private KeyPackage[] Known() => [_alice, _alice2, _bob, _carol, _shortLived, _sameKey, _handedOver, _newKeyBare, _handedOverFromAlice2, _shortLivedRenewed];

    private Roster Members(params KeyPackage[] members) => Roster.Restore(members.Select(m => m.Serial), [], Known());

    private static Commit CommitBy(KeyPackage committer, params KeyPackage[] members) =>
        new(Room, 2, LastHash, committer.Serial, CommitReason.Renew,
            members.Select(m => new CommitMember(Convert.FromHexString(m.Serial), m.Reference, new byte[60])).ToList(), [], [])
        {
            // The membership rules are the same in both formats; a format-1 commit names packages
            // and carries no keys, so these hand-made ones need none (CommitKeyCheckTests checks those).
            FormatVersion = Commit.LegacyVersion,
        };

    private RoomEvent PublishedBy(KeyPackage publisher, DateTimeOffset? at = null) =>
        new(Room, 10, Guid.NewGuid(), publisher.UserName, publisher.Serial, EventKind.Commit, 1, at ?? At, []);

    private RejectReason? Judge(Commit commit, Roster roster, RoomEvent? e = null, DateTimeOffset? at = null)
    {
        var place = new GroupPosition(Room, 1, LastHash);
        var when = at ?? At;
        e ??= PublishedBy(roster.Packages[commit.CommitterSerial], when);
        return (CommitPolicy.CheckPlace(place, roster, _validity, commit, e, when, out _)
            ?? CommitPolicy.CheckMembers(place, roster, _validity, commit, e, when, out _))?.Code;
    }
}
