using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Time;

/// <summary>Members whose clocks are up to the tolerance fast or slow against the server (so up
/// to twice that apart) share one group: every event is judged at the room's clock, a certificate
/// issued a moment ago may speak at once, and nobody decides a removal the room would refuse.</summary>
public class ClockSkewGroupTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Fast = ClockSkew.Tolerance;

    private static readonly TimeSpan Slow = -ClockSkew.Tolerance;

    [Theory]
    [InlineData(10, -10)]
    [InlineData(-10, 10)]
    [InlineData(0, 10)]
    [InlineData(-10, 0)]
    public void Members_whose_clocks_are_ten_minutes_fast_and_ten_minutes_slow_share_one_group(int founderMinutes, int joinerMinutes)
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        // Each certificate is issued by the server's clock just before its device uses it.
        var founder = h.Add("alice", clockOffset: TimeSpan.FromMinutes(founderMinutes));
        founder.Publish();
        founder.Commit(CommitReason.Create);
        var joiner = h.AddJoined("bob", clockOffset: TimeSpan.FromMinutes(joinerMinutes));
        var third = h.AddJoined("carol", clockOffset: TimeSpan.FromMinutes(-joinerMinutes));

        AssertOneGroupEveryoneReadsEveryone(h, founder, joiner, third);
    }

    [Fact]
    public void A_member_whose_clock_is_ten_minutes_fast_is_read_by_everyone_with_the_time_it_wrote()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice");
        var fast = h.AddJoined("bob", clockOffset: Fast);
        var slow = h.AddJoined("carol", clockOffset: Slow);
        alice.CatchUp();
        fast.CatchUp();

        // Bob's token is dated ten minutes ahead of the server and twenty of carol: Fernet's own
        // sixty-second bound on future tokens would refuse it, and the group does not apply it.
        var written = time.Now + Fast;
        h.Store(fast, EventKind.Chat, fast.State.Encrypt("ahead of you all"u8, ContentType.Text, written));
        foreach (var reader in new[] { alice, slow })
        {
            var message = Assert.Single(reader.CatchUp(), o => o.Kind == GroupOutcomeKind.Message).Message!;
            Assert.Equal("ahead of you all", Encoding.UTF8.GetString(message.Content));
            Assert.Equal(written.ToUnixTimeSeconds(), message.SentAt.ToUnixTimeSeconds());
        }
    }

    [Fact]
    public void Fernets_own_time_to_live_check_would_refuse_a_token_from_a_clock_ten_minutes_fast()
    {
        // Why the group decrypts without a time-to-live: the spec's check is for tokens one
        // machine issues and checks itself, not for a sender whose clock is off.
        var key = RandomNumberGenerator.GetBytes(Fernet.KeyLength);
        var token = Fernet.Encrypt(key, "hi"u8, Start + Fast, RandomNumberGenerator.GetBytes(16));
        Assert.Equal("hi"u8.ToArray(), Fernet.Decrypt(key, token, Start));
        Assert.Throws<CryptoException>(() => Fernet.Decrypt(key, token, Start, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void A_member_whose_clock_is_ten_minutes_fast_sends_while_a_certificate_it_sees_as_ended_is_still_valid_for_the_room()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice", validDays: 1);
        var fast = h.AddJoined("bob", clockOffset: Fast);
        var carol = h.AddJoined("carol");
        var aliceEnds = alice.State.Packages[alice.Identity.Serial].NotAfter;

        // Five minutes before alice's certificate ends: bob's clock says it ended five minutes ago.
        time.Now = aliceEnds - TimeSpan.FromMinutes(5);
        fast.CatchUp();
        Assert.Empty(fast.State.InvalidMembers);
        fast.Send("alice is still one of us");
        alice.CatchUp();
        carol.CatchUp();
        Assert.Contains("alice is still one of us", alice.Texts);
        Assert.Contains("alice is still one of us", carol.Texts);

        // Once the room's clock has surely passed the end, bob removes her and the room agrees.
        time.Now = aliceEnds + TimeSpan.FromMinutes(1);
        Assert.Equal([alice.Identity.Serial], fast.State.InvalidMembers);
        fast.Change(CommitReason.Remove, removed: [alice]);
        carol.CatchUp();
        Assert.DoesNotContain(fast.Outcomes.Concat(carol.Outcomes), o => o.Kind == GroupOutcomeKind.Rejected);
        Assert.DoesNotContain(alice.Identity.Serial, carol.State.MemberSerials);
        Assert.Equal(fast.State.LastCommitHash, carol.State.LastCommitHash);
    }

    [Fact]
    public void A_device_with_a_correct_clock_removes_an_ended_member_once_no_clock_in_tolerance_disagrees()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice", validDays: 1);
        var bob = h.AddJoined("bob");
        var aliceEnds = alice.State.Packages[alice.Identity.Serial].NotAfter;

        time.Now = aliceEnds + TimeSpan.FromMinutes(1);
        Assert.Empty(bob.State.InvalidMembers);
        time.Now = aliceEnds + ClockSkew.Tolerance + TimeSpan.FromSeconds(1);
        Assert.Equal([alice.Identity.Serial], bob.State.InvalidMembers);
    }

    [Fact]
    public void A_device_twenty_minutes_fast_decides_a_removal_the_room_refuses_and_nobody_forks()
    {
        var time = new ManualTime(Start);
        using var h = new GroupHarness(time: time);
        var alice = h.Found("alice", validDays: 1);
        var tooFast = h.AddJoined("bob", clockOffset: TimeSpan.FromMinutes(20));
        var carol = h.AddJoined("carol");
        var aliceEnds = alice.State.Packages[alice.Identity.Serial].NotAfter;

        time.Now = aliceEnds - TimeSpan.FromMinutes(5);
        tooFast.CatchUp();
        Assert.Equal([alice.Identity.Serial], tooFast.State.InvalidMembers);
        Assert.Throws<CryptoException>(() => tooFast.State.Encrypt("x"u8, ContentType.Text, time.Now));
        var epoch = carol.State.Epoch;
        tooFast.Change(CommitReason.Remove, removed: [alice]);
        carol.CatchUp();

        // Refused by the room and by bob's own group (which judges at the room's clock too).
        Assert.Equal(RejectReason.RemovalOfEntitledMember, carol.Outcomes[^1].Code);
        Assert.Equal(RejectReason.RemovalOfEntitledMember, tooFast.Outcomes[^1].Code);
        Assert.Equal(epoch, carol.State.Epoch);
        Assert.Equal(carol.State.LastCommitHash, tooFast.State.LastCommitHash);
        alice.CatchUp();
        Assert.Equal(carol.State.LastCommitHash, alice.State.LastCommitHash);
    }

    // One group: one create in the log, nothing refused, everyone at the same epoch and commit,
    // and every message read by everyone, each exactly once.
    internal static void AssertOneGroupEveryoneReadsEveryone(GroupHarness h, params GroupHarness.Member[] members)
    {
        var texts = members.Select(m => $"from {m.Identity.UserName} {Guid.NewGuid():N}").ToList();
        for (var i = 0; i < members.Length; i++)
        {
            members[i].Send(texts[i]);
        }

        foreach (var m in members)
        {
            m.CatchUp();
            Assert.DoesNotContain(m.Outcomes, o => o.Kind == GroupOutcomeKind.Rejected);
            Assert.True(m.State.IsMember, $"{m.Identity.UserName} is not a member");
            foreach (var text in texts)
            {
                Assert.Single(m.Texts, t => t == text);
            }
        }

        Assert.Single(members.Select(m => m.State.Epoch).Distinct());
        Assert.Single(members.Select(m => Convert.ToHexString(m.State.LastCommitHash)).Distinct());
        Assert.Single(h.Log, e => e.Kind == EventKind.Commit && Commit.Parse(e.Body).Reason == CommitReason.Create);
    }
}
