using OpenChat.Engine.Client;
using Xunit;

namespace OpenChat.Tests.Unit.Client;

public class NodeListTests
{
    [Fact]
    public void The_current_node_is_tried_first_then_the_others_in_the_servers_order()
    {
        var nodes = new NodeList("a.example.org:7443", null);
        Assert.True(nodes.Learn(["a.example.org:7443", "b.example.org:7443", "c.example.org:7443"]));
        nodes.Connected("b.example.org:7443");

        Assert.Equal(["b.example.org:7443", "a.example.org:7443", "c.example.org:7443"], nodes.Candidates());
    }

    [Fact]
    public void A_welcome_without_nodes_changes_nothing_and_the_same_list_twice_needs_no_save()
    {
        var nodes = new NodeList("a.example.org:7443", ["a.example.org:7443", "b.example.org:7443"]);

        Assert.False(nodes.Learn([]));
        Assert.False(nodes.Learn(["A.example.org:7443", "b.example.org:7443"]));
        Assert.Equal(["a.example.org:7443", "b.example.org:7443"], nodes.Known);
    }

    [Fact]
    public void The_node_the_client_is_on_stays_listed_even_when_it_did_not_list_itself()
    {
        var nodes = new NodeList("a.example.org:7443", null);

        nodes.Learn(["b.example.org:7443"]);

        Assert.Equal(["a.example.org:7443", "b.example.org:7443"], nodes.Known);
    }

    [Fact]
    public void A_remembered_entry_that_is_not_an_address_is_dropped()
    {
        var nodes = new NodeList("a.example.org:7443", ["not an address", "b.example.org:7443", "b.example.org:7443"]);

        Assert.Equal(["a.example.org:7443", "b.example.org:7443"], nodes.Known);
    }

    [Fact]
    public void A_node_the_user_named_is_the_only_one_tried()
    {
        var nodes = new NodeList("a.example.org:7443", ["b.example.org:7443"], only: true);

        Assert.False(nodes.Learn(["a.example.org:7443", "c.example.org:7443"]));
        Assert.Equal(["a.example.org:7443"], nodes.Candidates());
    }

    [Fact]
    public void A_node_left_out_of_one_welcome_is_still_tried_after_the_listed_ones()
    {
        var nodes = new NodeList("a.example.org:7443", ["a.example.org:7443", "b.example.org:7443", "c.example.org:7443"]);

        // b was down for a moment when a's Welcome was sent.
        nodes.Learn(["a.example.org:7443", "c.example.org:7443"]);

        Assert.Equal(["a.example.org:7443", "c.example.org:7443", "b.example.org:7443"], nodes.Candidates());
    }

    [Fact]
    public void A_node_left_out_of_enough_welcomes_in_a_row_is_forgotten_and_one_listed_again_starts_over()
    {
        var nodes = new NodeList("a.example.org:7443", ["a.example.org:7443", "b.example.org:7443", "c.example.org:7443"]);

        for (var i = 1; i < NodeList.ForgetAfter; i++)
        {
            nodes.Learn(["a.example.org:7443", i == 4 ? "c.example.org:7443" : "a.example.org:7443"]);
        }

        // b was left out ForgetAfter - 1 times: still known; c was listed again at the fourth and kept since.
        Assert.Contains("b.example.org:7443", nodes.Known);
        Assert.True(nodes.Learn(["a.example.org:7443"]));
        Assert.DoesNotContain("b.example.org:7443", nodes.Known);
        Assert.Contains("c.example.org:7443", nodes.Known);
    }

    [Fact]
    public void The_counts_saved_with_the_list_carry_over_to_the_next_run()
    {
        var nodes = new NodeList("a.example.org:7443", ["a.example.org:7443", "b.example.org:7443"]);
        for (var i = 1; i < NodeList.ForgetAfter; i++)
        {
            nodes.Learn(["a.example.org:7443"]);
        }

        // One connection per run: the next run starts from what was saved, and forgets b at once.
        var next = new NodeList("a.example.org:7443", nodes.Known, leftOut: nodes.LeftOut);
        Assert.Equal(NodeList.ForgetAfter - 1, next.LeftOut["b.example.org:7443"]);
        next.Learn(["a.example.org:7443"]);
        Assert.Equal(["a.example.org:7443"], next.Known);
    }

    [Fact]
    public void A_welcome_listing_many_addresses_once_leaves_only_a_few_behind_when_the_next_leaves_them_out()
    {
        var nodes = new NodeList("a.example.org:7443", null);
        nodes.Learn([.. Enumerable.Range(1, 40).Select(i => $"n{i}.example.org:7443")]);

        nodes.Learn(["a.example.org:7443"]);

        Assert.Equal(1 + NodeList.MaxLeftOutKept, nodes.Known.Count);
    }
}
