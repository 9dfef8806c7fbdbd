using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using Xunit;

namespace OpenChat.Tests.Unit.Group;

/// <summary>Commits of format 2 (the room policy, committer and external keys) and the format 1
/// commits that rooms' histories still hold.</summary>
public sealed class CommitFormatTests
{
    private static Commit Sample(byte version) => new("lobby", 3, new byte[32], "0A1B", CommitReason.Manage,
        [new CommitMember([0x0A, 0x1B], new byte[16], new byte[48])], new byte[65], [1, 2, 3])
    {
        FormatVersion = version,
        CommitterKey = version == Commit.Version ? new byte[65] : [],
        Policy = version == Commit.Version ? RoomPolicy.ForCreator("alice", isPrivate: true).With("bob", RoomRole.Member).With("mallory", RoomRole.Removed) : RoomPolicy.Legacy,
        ExternalKey = version == Commit.Version ? new byte[65] : [],
        SealedExternalKey = version == Commit.Version ? new byte[60] : [],
    };

    [Fact]
    public void A_format_2_commit_keeps_its_policy_and_keys_through_encoding()
    {
        var parsed = Commit.Parse(Sample(Commit.Version).ToBytes());
        Assert.Equal(Commit.Version, parsed.FormatVersion);
        Assert.True(parsed.Policy.Private);
        Assert.Equal(RoomRole.Admin, parsed.Policy.RoleOf("ALICE"));
        Assert.Equal(RoomRole.Member, parsed.Policy.RoleOf("bob"));
        Assert.Equal(RoomRole.Removed, parsed.Policy.RoleOf("mallory"));
        Assert.Null(parsed.Policy.RoleOf("carol"));
        Assert.Equal(65, parsed.CommitterKey.Length);
        Assert.Equal(60, parsed.SealedExternalKey.Length);
        Assert.Equal(Sample(Commit.Version).ToBytes(), parsed.ToBytes());
    }

    [Fact]
    public void A_format_1_commit_parses_as_an_open_room_without_admins_and_re_encodes_as_it_was()
    {
        var bytes = Sample(Commit.LegacyVersion).ToBytes();
        var parsed = Commit.Parse(bytes);
        Assert.Equal(Commit.LegacyVersion, parsed.FormatVersion);
        Assert.False(parsed.Policy.Private);
        Assert.Empty(parsed.Policy.Roles);
        Assert.Empty(parsed.CommitterKey);
        Assert.Equal(bytes, parsed.ToBytes());
    }

    [Fact]
    public void One_policy_has_one_encoding_whatever_order_its_roles_were_given_in()
    {
        var a = Sample(Commit.Version) with { Policy = RoomPolicy.ForCreator("alice", false).With("bob", RoomRole.Member).With("carol", RoomRole.Admin) };
        var b = Sample(Commit.Version) with { Policy = RoomPolicy.ForCreator("carol", false).With("bob", RoomRole.Member).With("alice", RoomRole.Admin) };
        Assert.True(a.Policy.SameAs(b.Policy));
        Assert.Equal(a.ToBytes(), b.ToBytes());
    }

    [Fact]
    public void A_policy_that_names_a_user_twice_or_an_unknown_role_is_refused()
    {
        var w = PayloadWriter.Body(64).U8(0).U32(2).String("bob").U8(1).String("BOB").U8(2);
        Assert.Throws<ProtocolException>(() => ReadPolicy(w.ToBody()));
        var unknownRole = PayloadWriter.Body(64).U8(0).U32(1).String("bob").U8(9);
        Assert.Throws<ProtocolException>(() => ReadPolicy(unknownRole.ToBody()));
        var unknownFlag = PayloadWriter.Body(64).U8(2).U32(0);
        Assert.Throws<ProtocolException>(() => ReadPolicy(unknownFlag.ToBody()));
    }

    [Fact]
    public void A_policy_naming_a_non_user_or_too_many_users_is_refused()
    {
        var notAName = PayloadWriter.Body(64).U8(0).U32(1).String("bob\u202e").U8(1);
        Assert.Throws<ProtocolException>(() => ReadPolicy(notAName.ToBody()));
        var tooMany = PayloadWriter.Body(64).U8(0).U32(RoomPolicy.MaxUsers + 1);
        Assert.Throws<ProtocolException>(() => ReadPolicy(tooMany.ToBody()));
        Assert.True(RoomPolicy.MaxUsers <= 10_000);
    }

    [Fact]
    public void A_commit_of_an_unknown_format_is_refused()
    {
        var bytes = Sample(Commit.Version).ToBytes();
        bytes[0] = 3;
        Assert.Throws<CryptoException>(() => Commit.Parse(bytes));
    }

    private static RoomPolicy ReadPolicy(byte[] body)
    {
        var r = new PayloadReader(body);
        return RoomPolicy.ReadFrom(ref r);
    }
}
