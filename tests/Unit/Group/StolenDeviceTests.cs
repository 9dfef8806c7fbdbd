using OpenChat.Engine.Group;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>
/// What a stolen device reveals (issue 13, docs/security.md "Forward secrecy and healing"): the
/// thief has the server's whole log and the device's complete saved state and keys at time T.
/// It must read nothing sent before the device's last key update before T, nothing the device had
/// already read, and, once the device commits an update after T, nothing sent afterwards; and it
/// does read what the device held unread at T (so the attacker is real, and the test can fail).
/// </summary>
public sealed class StolenDeviceTests
{
    [Fact]
    public void A_stolen_device_reveals_only_what_it_had_not_read_until_its_next_key_update()
    {
        using var h = new GroupHarness();
        var alice = h.Found("alice");
        var bob = h.AddJoined("bob");
        alice.CatchUp();
        alice.Send("before bob's update");
        bob.Send("bob before his update");
        bob.CatchUp();
        bob.Change(CommitReason.Update);
        alice.Send("read by bob, after his update");
        alice.Change(CommitReason.Update);
        alice.Send("read by bob, in the stolen epoch");
        bob.CatchUp();
        bob.Send("sent by bob, in the stolen epoch");
        bob.CatchUp();
        // Sent after bob last caught up: unread on his device when it is stolen.
        alice.Send("unread at T, in the stolen epoch");
        alice.Change(CommitReason.Update);
        alice.Send("unread at T, in a later epoch");

        // T: the device's state file and its keys are taken.
        var stateFile = DeviceThief.StateFileOf(bob.State, (ulong)h.Log.Count);
        var agreementKey = bob.Identity.AgreementKey;
        alice.Send("after T, before bob's update");

        // bob's device heals the room: its next commit is an update.
        bob.CatchUp();
        bob.Change(CommitReason.Update);
        alice.Send("after bob's update");
        alice.Change(CommitReason.Update);
        alice.Send("after bob's update, a later epoch");
        var carol = h.AddJoined("carol");
        carol.Send("carol joined after bob's update");

        using var thief = new DeviceThief(h.Room, stateFile, agreementKey);
        var read = thief.Read(h.Log);

        Assert.Equal(["unread at T, in the stolen epoch", "unread at T, in a later epoch", "after T, before bob's update"], read);
        // The room itself read everything: the messages exist and were readable by the members.
        bob.CatchUp();
        Assert.Contains("carol joined after bob's update", bob.Texts);
        Assert.Contains("before bob's update", bob.Texts);
    }

    [Fact]
    public void The_stolen_state_holds_no_epoch_secret_and_no_key_of_an_epoch_before_it()
    {
        var (h, alice, bob) = GroupHarness.TwoMembers();
        using (h)
        {
            bob.Change(CommitReason.Update);
            alice.CatchUp();
            var saved = bob.State.Export();
            Assert.Null(saved.EpochSecret);
            Assert.Equal(2, saved.Format);
            Assert.NotNull(saved.LeafPrivate);
            Assert.Empty(saved.PendingCommits);
            Assert.NotNull(saved.InitSecret);
            Assert.NotNull(saved.ExternalPrivate);
        }
    }

    [Fact]
    public void Under_format_1_commits_the_same_thief_reads_what_the_device_had_read_until_the_device_updates()
    {
        // The first key schedule wrapped each epoch secret to the long-term package key: the
        // thief opens every such epoch from its first message, read or not. A room moves to the
        // format-2 schedule with the device's first update, which also heals it.
        using var h = new GroupHarness();
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        StoreLegacy(h, alice, CommitReason.Create, alice);
        bob.Publish();
        bob.CatchUp();
        StoreLegacy(h, bob, CommitReason.Join, alice, bob);
        alice.CatchUp();
        alice.Send("format 1, read by bob");
        bob.CatchUp();
        Assert.Contains("format 1, read by bob", bob.Texts);

        var stateFile = DeviceThief.StateFileOf(bob.State, (ulong)h.Log.Count);
        alice.Send("format 1, after T");
        bob.CatchUp();
        Assert.True(bob.State.LeafIsPackageKey);
        Assert.True(bob.State.NeedsKeyUpdate());
        bob.Change(CommitReason.Update);
        alice.Send("format 2, after bob's update");
        bob.CatchUp();
        Assert.Contains("format 2, after bob's update", bob.Texts);

        using var thief = new DeviceThief(h.Room, stateFile, bob.Identity.AgreementKey);
        Assert.Equal(["format 1, read by bob", "format 1, after T"], thief.Read(h.Log));
    }

    private static void StoreLegacy(GroupHarness h, GroupHarness.Member by, CommitReason reason, params GroupHarness.Member[] members) =>
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(LegacyCommits.Store(h, by, reason, members));
}
