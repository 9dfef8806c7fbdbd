using OpenChat.Engine.Group;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>The roster is the one place serials and user names are compared, and it compares
/// them without regard to case (hex serials arrive spelled either way).</summary>
public sealed class RosterTests : IDisposable
{
    private readonly GroupHarness _h = new();
    private readonly KeyPackage _alice;
    private readonly KeyPackage _bob;
    private readonly KeyPackage _bobLaptop;
    private readonly KeyPackage _carol;

    public RosterTests()
    {
        _alice = _h.Add("alice").Identity.Package;
        _bob = _h.Add("bob").Identity.Package;
        _bobLaptop = _h.Add("bob").Identity.Package;
        _carol = _h.Add("carol").Identity.Package;
    }

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Members_and_packages_are_found_whatever_the_case_of_the_serial()
    {
        var roster = Roster.Restore([_alice.Serial.ToLowerInvariant(), _bob.Serial], [], [_alice, _bob]);
        Assert.True(roster.Contains(_alice.Serial));
        Assert.True(roster.Contains(_bob.Serial.ToLowerInvariant()));
        Assert.False(roster.Contains(_carol.Serial));
        Assert.True(roster.HasPackage(_alice.Serial.ToLowerInvariant()));
        Assert.True(roster.TryGetPackage(_bob.Serial.ToLowerInvariant(), out var bob));
        Assert.Same(_bob, bob);
        Assert.Equal("alice", roster.NameOf(_alice.Serial.ToLowerInvariant()));
    }

    [Fact]
    public void Members_keep_the_order_of_their_commit_and_show_by_name()
    {
        var roster = Roster.Restore([_carol.Serial, _alice.Serial, "ABCDEF"], [], [_alice, _carol]);
        Assert.Equal([_carol.Serial, _alice.Serial, "ABCDEF"], roster.Members);
        Assert.Equal(["carol", "alice", "ABCDEF"], roster.Names);
        Assert.Equal(3, roster.Count);
    }

    [Fact]
    public void A_new_epoch_replaces_the_members()
    {
        var roster = Roster.Restore([_alice.Serial, _bob.Serial], [], [_alice, _bob, _carol]);
        roster.Advance([_alice.Serial, _carol.Serial], rejoined: null);
        Assert.Equal([_alice.Serial, _carol.Serial], roster.Members);
        Assert.False(roster.Contains(_bob.Serial));
        Assert.True(roster.SameMembersAs([_carol.Serial.ToLowerInvariant(), _alice.Serial]));
        Assert.False(roster.SameMembersAs([_alice.Serial]));
    }

    [Fact]
    public void A_departure_marks_every_member_device_of_that_user_whatever_the_case_of_the_name()
    {
        var roster = Roster.Restore([_alice.Serial, _bob.Serial, _bobLaptop.Serial], [], [_alice, _bob, _bobLaptop]);
        roster.MarkDeparted("BOB");
        Assert.True(roster.IsDeparted(_bob.Serial));
        Assert.True(roster.IsDeparted(_bobLaptop.Serial.ToLowerInvariant()));
        Assert.False(roster.IsDeparted(_alice.Serial));
        Assert.Equal([_bob.Serial, _bobLaptop.Serial], roster.DepartedMembers);
    }

    [Fact]
    public void A_departed_device_stays_departed_until_it_is_removed_or_rejoins_itself()
    {
        var roster = Roster.Restore([_alice.Serial, _bob.Serial, _bobLaptop.Serial], [_bob.Serial, _bobLaptop.Serial], [_alice, _bob, _bobLaptop, _carol]);

        // Adding someone else changes nothing for the departed.
        roster.Advance([_alice.Serial, _bob.Serial, _bobLaptop.Serial, _carol.Serial], rejoined: null);
        Assert.Equal([_bob.Serial, _bobLaptop.Serial], roster.DepartedMembers);

        // The laptop rejoins by its own commit; the phone is removed.
        roster.Advance([_alice.Serial, _bobLaptop.Serial, _carol.Serial], rejoined: _bobLaptop.Serial.ToLowerInvariant());
        Assert.Empty(roster.DepartedMembers);
        Assert.Empty(roster.DepartedSerials);
    }

    [Fact]
    public void A_newer_package_replaces_the_known_one_and_its_cached_key()
    {
        var roster = Roster.Restore([_alice.Serial], [], [_alice]);
        var key = roster.SigningKeyOf(_alice);
        Assert.Same(key, roster.SigningKeyOf(_alice));
        var newer = _alice with { Created = _alice.Created.AddMinutes(1) };
        roster.Remember(newer);
        Assert.Same(newer, roster.Packages[_alice.Serial.ToLowerInvariant()]);
        Assert.NotSame(key, roster.SigningKeyOf(newer));
        Assert.Single(roster.Packages);
    }
}
