using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Group;

/// <summary>A device's renewed certificate taking its place in a room's group, end to end between
/// group states (the rules on their own are in <see cref="RenewalPolicyTests"/>).</summary>
public sealed class RenewalTests
{
    [Fact]
    public void A_same_key_renewal_replaces_the_previous_serial_and_both_keep_chatting()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var previous = alice.Identity.Serial;
            alice.SwitchTo(h.Renewal(alice));
            alice.Renew();
            bob.CatchUp();

            Assert.Equal(GroupOutcomeKind.Applied, bob.Outcomes[^1].Kind);
            Assert.Equal("Renew", bob.Outcomes[^1].Notice);
            Assert.True(Roster.SerialSet([alice.Identity.Serial, bob.Identity.Serial]).SetEquals(bob.State.MemberSerials));
            Assert.DoesNotContain(previous, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
            Assert.True(alice.State.IsMember);
            Assert.Null(alice.State.RenewingFrom);

            alice.Send("from the renewed certificate");
            bob.Send("and back");
            alice.CatchUp();
            bob.CatchUp();
            Assert.Contains("from the renewed certificate", bob.Texts);
            Assert.Contains("and back", alice.Texts);
        }
    }

    [Fact]
    public void Between_the_switch_and_the_renewal_the_device_reads_but_cannot_send()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            alice.SwitchTo(h.Renewal(alice));
            Assert.True(alice.State.NeedsRenewal);
            Assert.False(alice.State.IsMember);
            Assert.Throws<CryptoException>(() => alice.State.Encrypt("too early"u8, ContentType.Text, DateTimeOffset.UtcNow));

            bob.Send("while she renews");
            // Another member's commit before the renewal lands is still opened, under the previous serial.
            bob.Change(CommitReason.Rotate);
            bob.Send("after the rotation");
            alice.CatchUp();
            Assert.Equal(["while she renews", "after the rotation"], alice.Texts);
            Assert.True(alice.State.NeedsRenewal);

            alice.Renew();
            alice.Send("renewed");
            bob.CatchUp();
            Assert.Contains("renewed", bob.Texts);
        }
    }

    [Fact]
    public void A_renewal_in_progress_survives_export_and_import()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var previous = alice.Identity.Serial;
            var renewed = h.Renewal(alice);
            alice.SwitchTo(renewed);
            var restored = GroupState.Import(alice.State.Export(), renewed, alice.Verifier);

            Assert.Equal(previous, restored.RenewingFrom);
            Assert.True(restored.NeedsRenewal);
            var (body, _) = restored.CreateRenewCommit();
            Assert.Equal(CommitReason.Renew, Commit.Parse(body).Reason);
        }
    }

    [Fact]
    public void A_new_key_with_a_handover_renews_and_the_package_carries_the_handover()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var renewed = h.Renewal(alice, ECDsa.Create(ECCurve.NamedCurves.nistP256));
            alice.SwitchTo(renewed);
            alice.Renew();
            bob.CatchUp();

            Assert.Contains(alice.Identity.Serial, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
            Assert.NotNull(bob.State.Packages[alice.Identity.Serial].ParsedHandover);
            alice.Send("new key");
            bob.CatchUp();
            Assert.Contains("new key", bob.Texts);
        }
    }

    [Fact]
    public void A_new_key_without_a_handover_cannot_renew_in_place()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var previous = alice.Identity.Serial;
            alice.SwitchTo(h.Renewal(alice, ECDsa.Create(ECCurve.NamedCurves.nistP256), handover: false));
            alice.Renew();
            bob.CatchUp();

            Assert.Equal(RejectReason.RenewKeyWithoutHandover, bob.Outcomes[^1].Code);
            Assert.Equal(RejectReason.RenewKeyWithoutHandover, alice.Outcomes[^1].Code);
            Assert.Contains(previous, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
            Assert.DoesNotContain(alice.Identity.Serial, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void A_renewal_of_a_revoked_certificate_is_refused_by_the_others()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            var renewed = h.Renewal(alice);
            h.Revoke(alice);
            alice.SwitchTo(renewed);
            alice.Renew();
            bob.CatchUp();

            Assert.Equal(RejectReason.RenewOfRevoked, bob.Outcomes[^1].Code);
            Assert.DoesNotContain(renewed.Serial, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void A_device_removed_under_its_expired_certificate_stops_renewing_and_joins_again()
    {
        using var h = new GroupHarness();
        var alice = h.Add("alice", validDays: 1);
        var bob = h.Add("bob");
        alice.Publish();
        alice.Commit(CommitReason.Create);
        bob.Publish();
        bob.Join();
        alice.CatchUp();
        alice.SwitchTo(h.Renewal(alice));
        var previous = alice.State.RenewingFrom!;

        h.Time.Advance(TimeSpan.FromDays(2));
        bob.CatchUp();
        var (body, epoch) = bob.State.CreateCommit(CommitReason.Remove, [bob.Identity.Serial]);
        h.Store(bob, EventKind.Commit, body, epoch);
        bob.CatchUp();
        alice.CatchUp();

        Assert.DoesNotContain(previous, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("RemovedFromRoom", alice.Outcomes[^1].Notice);
        Assert.Null(alice.State.RenewingFrom);
        Assert.False(alice.State.NeedsRenewal);

        alice.Publish();
        alice.Join();
        bob.CatchUp();
        Assert.Contains(alice.Identity.Serial, bob.State.MemberSerials, StringComparer.OrdinalIgnoreCase);
        alice.Send("back under the renewed certificate");
        bob.CatchUp();
        Assert.Contains("back under the renewed certificate", bob.Texts);
    }
}
