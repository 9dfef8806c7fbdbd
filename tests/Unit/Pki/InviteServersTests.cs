using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

/// <summary>An invite naming several nodes of one deployment.</summary>
public class InviteServersTests
{
    [Fact]
    public void An_invite_names_several_nodes_in_order()
    {
        using var ca = new Ca().WithServer();
        var (record, code) = ca.Invites.Create("alice", server: "a.example.org:7443, b.example.org:7444,a.example.org:7443");

        var parsed = InviteCode.Parse(code.ToString());

        Assert.Equal(["a.example.org:7443", "b.example.org:7444"], parsed.Servers);
        Assert.Equal("a.example.org:7443", parsed.Server);
        Assert.Equal("a.example.org:7443", record.Server);
    }

    [Fact]
    public void An_invite_for_one_node_reads_as_before()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice", server: "a.example.org:7443");

        var text = code.ToString();
        var parsed = InviteCode.Parse(text);

        Assert.Empty(parsed.OtherServers);
        Assert.DoesNotContain("\"n\"", System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(text.AsSpan(InviteCode.Prefix.Length))));
    }

    [Fact]
    public void More_nodes_than_an_invite_holds_are_refused_when_it_is_made()
    {
        using var ca = new Ca().WithServer();
        var servers = string.Join(',', Enumerable.Range(1, InviteCode.MaxOtherServers + 2).Select(i => $"n{i}.example.org:7443"));

        var refusal = Assert.Throws<OpenChatException>(() => ca.Invites.Create("alice", server: servers));

        Assert.Equal(ErrorIds.ServerAddressInvalid, refusal.ErrorId);
    }

    [Fact]
    public void A_further_node_that_is_not_an_address_makes_the_invite_damaged()
    {
        using var ca = new Ca().WithServer();
        var (_, code) = ca.Invites.Create("alice", server: "a.example.org:7443");
        var forged = code with { OtherServers = ["not an address"] };

        var refusal = Assert.Throws<OpenChatException>(() => InviteCode.Parse(forged.ToString()));

        Assert.Equal(ErrorIds.InviteMalformed, refusal.ErrorId);
    }

    [Fact]
    public async Task Enrollment_goes_on_to_the_next_node_when_the_first_cannot_be_reached()
    {
        await using var harness = await ChatHarness.StartAsync();
        var dead = $"127.0.0.1:{Support.Engines.EngineProcess.FreePort()}";
        var (_, code) = new InviteBook(new CaDirectory(harness.DataPath)).Create("alice", server: $"{dead},{harness.Address}");

        var profile = await ChatEnrollment.RegisterAsync(code.ToString(), harness.ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.Equal(dead, profile.Server);
        Assert.Equal([dead, harness.Address], profile.LoadState().Nodes);
        await using var client = await harness.ConnectAsync(profile);
        Assert.Equal(harness.Address, client.Server);
    }
}
