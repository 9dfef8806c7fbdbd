using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>Each rule of <see cref="CommitPolicy"/> on its own: the commit it forbids is refused
/// with its <see cref="RejectReason"/>, and the nearest allowed one passes. The policy is pure, so
/// these build commits by hand (unsigned: the signature is checked elsewhere) against a roster.</summary>
public sealed class CommitPolicyTests : IDisposable
{
    private const string Room = "ops";
    private static readonly byte[] LastHash = Enumerable.Repeat((byte)7, 32).ToArray();

    private readonly GroupHarness _h = new(Room);
    private readonly KeyPackage _alice;
    private readonly KeyPackage _bob;
    private readonly KeyPackage _carol;
    private readonly KeyPackage _dave;
    private readonly KeyPackage _shortLived;
    private readonly MemberValidity _validity;

    public CommitPolicyTests()
    {
        _alice = _h.Add("alice").Identity.Package;
        _bob = _h.Add("bob").Identity.Package;
        _carol = _h.Add("carol").Identity.Package;
        _dave = _h.Add("dave").Identity.Package;
        _shortLived = _h.Add("erin", validDays: 1).Identity.Package;
        _validity = new MemberValidity(_h.Verifier);
    }

    public void Dispose() => _h.Dispose();

    private DateTimeOffset At => _h.Time.GetUtcNow();

    // -- where the commit goes and whose it is

    [Fact]
    public void A_commit_for_another_room_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Rotate, _alice, _bob) with { Room = "elsewhere" };
        Assert.Equal(RejectReason.AnotherRoom, Judge(commit, Members(_alice, _bob)));
        Assert.Null(Judge(commit with { Room = Room }, Members(_alice, _bob)));
    }

    [Fact]
    public void A_commit_for_an_epoch_already_passed_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Rotate, _alice, _bob);
        Assert.Equal(RejectReason.StaleCommit, Judge(commit with { Epoch = 1 }, Members(_alice, _bob)));
        Assert.Equal(RejectReason.StaleCommit, Judge(commit with { Epoch = 0 }, Members(_alice, _bob)));
        Assert.Null(Judge(commit with { Epoch = 2 }, Members(_alice, _bob)));
    }

    [Fact]
    public void A_commit_that_skips_an_epoch_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Rotate, _alice, _bob) with { Epoch = 3 };
        Assert.Equal(RejectReason.CommitSkipsEpochs, Judge(commit, Members(_alice, _bob)));
    }

    [Fact]
    public void A_commit_that_does_not_follow_the_last_one_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Rotate, _alice, _bob) with { ParentHash = new byte[32] };
        Assert.Equal(RejectReason.ParentMismatch, Judge(commit, Members(_alice, _bob)));
    }

    [Fact]
    public void A_commit_by_a_committer_whose_package_is_unknown_is_refused()
    {
        var roster = Roster.Restore([_alice.Serial, _bob.Serial], [], [_alice, _bob]);
        var commit = CommitBy(_carol, CommitReason.Rotate, _alice, _bob, _carol);
        Assert.Equal(RejectReason.UnknownCommitter, Judge(commit, roster, PublishedBy(_carol)));
    }

    [Fact]
    public void A_commit_by_a_revoked_committer_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Rotate, _alice, _bob);
        Assert.Null(Judge(commit, Members(_alice, _bob)));
        _h.Verifier.MarkRevoked([new RevokedSerial(_alice.Serial, At.AddMinutes(-1))]);
        Assert.Equal(RejectReason.CertificateRevoked, Judge(commit, Members(_alice, _bob)));
    }

    [Fact]
    public void A_commit_by_an_expired_committer_is_refused()
    {
        var commit = CommitBy(_shortLived, CommitReason.Rotate, _alice, _shortLived);
        Assert.Null(Judge(commit, Members(_alice, _shortLived), PublishedBy(_shortLived)));
        Assert.Equal(RejectReason.CertificateOutsideValidity, Judge(commit, Members(_alice, _shortLived), PublishedBy(_shortLived), At.AddDays(2)));
    }

    [Fact]
    public void A_commit_published_by_another_device_than_its_committer_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Rotate, _alice, _bob);
        Assert.Equal(RejectReason.CommitterNotPublisher, Judge(commit, Members(_alice, _bob), PublishedBy(_bob)));
    }

    // -- the new member list

    [Fact]
    public void A_commit_naming_a_member_by_a_package_not_verified_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Add, _alice, _bob, _carol);
        var swapped = commit with { Members = [commit.Members[0], commit.Members[1], commit.Members[2] with { PackageReference = new byte[16] }] };
        Assert.Equal(RejectReason.UnverifiedMemberPackage, Judge(swapped, Members(_alice, _bob)));
        var unknown = Roster.Restore([_alice.Serial, _bob.Serial], [], [_alice, _bob]);
        Assert.Equal(RejectReason.UnverifiedMemberPackage, Judge(commit, unknown));
        Assert.Null(Judge(commit, Members(_alice, _bob)));
    }

    [Fact]
    public void A_member_added_with_a_revoked_certificate_is_refused_but_one_carried_over_is_not_judged_again()
    {
        _h.Verifier.MarkRevoked([new RevokedSerial(_carol.Serial, At.AddMinutes(-1))]);
        Assert.Equal(RejectReason.CertificateRevoked, Judge(CommitBy(_alice, CommitReason.Add, _alice, _bob, _carol), Members(_alice, _bob)));
        Assert.Null(Judge(CommitBy(_alice, CommitReason.Rotate, _alice, _bob, _carol), Members(_alice, _bob, _carol)));
    }

    [Fact]
    public void A_member_added_after_its_certificate_expired_is_refused()
    {
        var commit = CommitBy(_alice, CommitReason.Add, _alice, _bob, _shortLived);
        Assert.Null(Judge(commit, Members(_alice, _bob)));
        Assert.Equal(RejectReason.CertificateOutsideValidity, Judge(commit, Members(_alice, _bob), at: At.AddDays(2)));
    }

    [Fact]
    public void A_commit_listing_a_member_twice_is_refused()
    {
        Assert.Equal(RejectReason.DuplicateMember, Judge(CommitBy(_alice, CommitReason.Add, _alice, _bob, _carol, _carol), Members(_alice, _bob)));
    }

    [Fact]
    public void A_committer_that_leaves_itself_out_of_the_new_epoch_is_refused()
    {
        Assert.Equal(RejectReason.CommitterNotInNewEpoch, Judge(CommitBy(_alice, CommitReason.Rotate, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_direct_room_holds_only_its_two_users_devices()
    {
        var position = new GroupPosition("@alice+bob", 1, LastHash);
        var join = CommitBy(_carol, CommitReason.Join, _alice, _bob, _carol) with { Room = position.Room };
        Assert.Equal(RejectReason.DirectRoomOutsider, Judge(join, Members(_alice, _bob), PublishedBy(_carol), position: position));
        var rotation = CommitBy(_alice, CommitReason.Rotate, _alice, _bob) with { Room = position.Room };
        Assert.Null(Judge(rotation, Members(_alice, _bob), position: position));
    }

    // -- who may make which change

    [Fact]
    public void Only_the_rooms_first_commit_may_found_its_group()
    {
        var founding = new GroupPosition(Room, 0, new byte[32]);
        var create = CommitBy(_carol, CommitReason.Create, _carol) with { Epoch = 1, ParentHash = new byte[32] };
        Assert.Null(Judge(create, Members(), PublishedBy(_carol, serverEpoch: 0), position: founding));

        // A group already here, or a server that already stored commits this device did not follow.
        Assert.Equal(RejectReason.CreateNotFirst, Judge(create, Members(_alice), PublishedBy(_carol, serverEpoch: 0), position: founding));
        Assert.Equal(RejectReason.CreateNotFirst, Judge(create, Members(), PublishedBy(_carol, serverEpoch: 4), position: founding));
        var later = CommitBy(_carol, CommitReason.Create, _carol);
        Assert.Equal(RejectReason.CreateNotFirst, Judge(later, Members(_alice, _bob), PublishedBy(_carol)));
    }

    [Fact]
    public void A_create_commit_holds_only_its_committer()
    {
        var founding = new GroupPosition(Room, 0, new byte[32]);
        var create = CommitBy(_carol, CommitReason.Create, _carol, _dave) with { Epoch = 1, ParentHash = new byte[32] };
        Assert.Equal(RejectReason.CreateWithOthers, Judge(create, Members(), PublishedBy(_carol, serverEpoch: 0), position: founding));
    }

    [Fact]
    public void A_join_of_a_room_with_no_group_is_refused()
    {
        var founding = new GroupPosition(Room, 0, new byte[32]);
        var join = CommitBy(_carol, CommitReason.Join, _carol) with { Epoch = 1, ParentHash = new byte[32] };
        Assert.Equal(RejectReason.JoinWithoutGroup, Judge(join, Members(), PublishedBy(_carol, serverEpoch: 0), position: founding));
    }

    [Fact]
    public void A_newcomer_may_join_itself_and_nobody_else()
    {
        Assert.Null(Judge(CommitBy(_carol, CommitReason.Join, _alice, _bob, _carol), Members(_alice, _bob), PublishedBy(_carol)));
        Assert.Equal(RejectReason.JoinChangesOthers,
            Judge(CommitBy(_carol, CommitReason.Join, _alice, _bob, _carol, _dave), Members(_alice, _bob), PublishedBy(_carol)));
        Assert.Equal(RejectReason.JoinChangesOthers, Judge(CommitBy(_carol, CommitReason.Join, _alice, _carol), Members(_alice, _bob), PublishedBy(_carol)));
    }

    [Fact]
    public void A_current_member_that_has_not_departed_cannot_join_again()
    {
        Assert.Equal(RejectReason.JoinByMember, Judge(CommitBy(_bob, CommitReason.Join, _alice, _bob), Members(_alice, _bob), PublishedBy(_bob)));
    }

    [Fact]
    public void A_departed_member_may_rejoin_without_changing_anyone_else()
    {
        var departed = Roster.Restore([_alice.Serial, _bob.Serial, _carol.Serial], [_bob.Serial], Known());
        Assert.Null(Judge(CommitBy(_bob, CommitReason.Join, _alice, _bob, _carol), departed, PublishedBy(_bob)));
        Assert.Equal(RejectReason.RejoinChangesOthers, Judge(CommitBy(_bob, CommitReason.Join, _alice, _bob), departed, PublishedBy(_bob)));
        Assert.Equal(RejectReason.RejoinChangesOthers, Judge(CommitBy(_bob, CommitReason.Join, _alice, _bob, _carol, _dave), departed, PublishedBy(_bob)));
    }

    [Theory]
    [InlineData(CommitReason.Add)]
    [InlineData(CommitReason.Remove)]
    [InlineData(CommitReason.Rotate)]
    public void Only_a_member_may_add_remove_or_rotate(CommitReason reason)
    {
        Assert.Equal(RejectReason.CommitterNotAMember, Judge(CommitBy(_carol, reason, _alice, _bob, _carol), Members(_alice, _bob), PublishedBy(_carol)));
    }

    [Fact]
    public void An_add_may_not_remove_anyone()
    {
        Assert.Null(Judge(CommitBy(_alice, CommitReason.Add, _alice, _bob, _carol), Members(_alice, _bob)));
        Assert.Equal(RejectReason.AddRemovesMembers, Judge(CommitBy(_alice, CommitReason.Add, _alice, _carol), Members(_alice, _bob)));
        Assert.Equal(RejectReason.AddRemovesMembers, Judge(CommitBy(_alice, CommitReason.Add, _alice, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_removal_may_not_add_anyone()
    {
        _h.Verifier.MarkRevoked([new RevokedSerial(_bob.Serial, At.AddMinutes(-1))]);
        Assert.Equal(RejectReason.RemovalAddsMembers, Judge(CommitBy(_alice, CommitReason.Remove, _alice, _dave), Members(_alice, _bob)));
        Assert.Equal(RejectReason.RemovalAddsMembers, Judge(CommitBy(_alice, CommitReason.Remove, _alice, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void A_member_still_entitled_to_read_cannot_be_removed()
    {
        Assert.Equal(RejectReason.RemovalOfEntitledMember, Judge(CommitBy(_alice, CommitReason.Remove, _alice), Members(_alice, _bob)));
    }

    [Fact]
    public void A_revoked_an_expired_or_a_departed_member_may_be_removed()
    {
        _h.Verifier.MarkRevoked([new RevokedSerial(_bob.Serial, At.AddMinutes(-1))]);
        Assert.Null(Judge(CommitBy(_alice, CommitReason.Remove, _alice, _carol), Members(_alice, _bob, _carol)));

        var departed = Roster.Restore([_alice.Serial, _carol.Serial], [_carol.Serial], Known());
        Assert.Null(Judge(CommitBy(_alice, CommitReason.Remove, _alice), departed));

        var removal = CommitBy(_alice, CommitReason.Remove, _alice);
        Assert.Equal(RejectReason.RemovalOfEntitledMember, Judge(removal, Members(_alice, _shortLived)));
        Assert.Null(Judge(removal, Members(_alice, _shortLived), at: At.AddDays(2)));
    }

    [Fact]
    public void A_removal_of_a_member_this_device_does_not_know_to_be_revoked_needs_the_newest_list()
    {
        var removal = CommitBy(_alice, CommitReason.Remove, _alice);
        Assert.True(CommitPolicy.RemovesEntitledMember(Members(_alice, _bob), _validity, removal, At));
        Assert.False(CommitPolicy.RemovesEntitledMember(Members(_alice, _bob), _validity, CommitBy(_alice, CommitReason.Rotate, _alice), At));
        _h.Verifier.MarkRevoked([new RevokedSerial(_bob.Serial, At.AddMinutes(-1))]);
        Assert.False(CommitPolicy.RemovesEntitledMember(Members(_alice, _bob), _validity, removal, At));
    }

    [Fact]
    public void A_rotation_may_not_change_the_members()
    {
        Assert.Null(Judge(CommitBy(_alice, CommitReason.Rotate, _bob, _alice), Members(_alice, _bob)));
        Assert.Equal(RejectReason.RotationChangesMembers, Judge(CommitBy(_alice, CommitReason.Rotate, _alice, _bob, _carol), Members(_alice, _bob)));
    }

    [Fact]
    public void A_commit_of_an_unknown_reason_is_refused()
    {
        Assert.Equal(RejectReason.UnknownCommitReason, Judge(CommitBy(_alice, (CommitReason)99, _alice, _bob), Members(_alice, _bob)));
    }

    [Fact]
    public void Serials_match_whatever_their_case()
    {
        var commit = CommitBy(_alice, CommitReason.Add, _alice, _bob, _carol) with { CommitterSerial = _alice.Serial.ToLowerInvariant() };
        var roster = Roster.Restore([_alice.Serial.ToLowerInvariant(), _bob.Serial], [], Known());
        Assert.Null(Judge(commit, roster, PublishedBy(_alice) with { SenderSerial = _alice.Serial.ToLowerInvariant() }));
    }

    private KeyPackage[] Known() => [_alice, _bob, _carol, _dave, _shortLived];

    private Roster Members(params KeyPackage[] members) => Roster.Restore(members.Select(m => m.Serial), [], Known());

    private static Commit CommitBy(KeyPackage committer, CommitReason reason, params KeyPackage[] members) =>
        new(Room, 2, LastHash, committer.Serial, reason,
            members.Select(m => new CommitMember(Convert.FromHexString(m.Serial), m.Reference, new byte[60])).ToList(), [], [])
        {
            // The membership rules are the same in both formats; a format-1 commit names packages
            // and carries no keys, so these hand-made ones need none (CommitKeyCheckTests checks those).
            FormatVersion = Commit.LegacyVersion,
        };

    private RoomEvent PublishedBy(KeyPackage publisher, ulong serverEpoch = 1) =>
        new(Room, 10, Guid.NewGuid(), publisher.UserName, publisher.Serial, EventKind.Commit, serverEpoch, At, []);

    // Both steps of the policy, as the processor runs them (without the signature between them).
    private RejectReason? Judge(Commit commit, Roster roster, RoomEvent? e = null, DateTimeOffset? at = null, GroupPosition? position = null)
    {
        var place = position ?? new GroupPosition(Room, 1, LastHash);
        var when = at ?? At;
        e ??= PublishedBy(roster.Packages[commit.CommitterSerial]);
        return (CommitPolicy.CheckPlace(place, roster, _validity, commit, e, when, out _)
            ?? CommitPolicy.CheckMembers(place, roster, _validity, commit, e, when, out _))?.Code;
    }
}
