using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Protocol;

public class RoomSuggestionsTests
{
    [Fact]
    public void A_typo_suggests_the_room_one_edit_away()
    {
        Assert.Equal(["ops"], RoomSuggestions.Nearest("opss", ["dev", "ops", "general"]));
    }

    [Fact]
    public void Swapped_neighbours_count_as_one_edit()
    {
        Assert.Equal(1, RoomSuggestions.Distance("deplyo", "deploy"));
        Assert.Equal(["deploy"], RoomSuggestions.Nearest("deplyo", ["deploy", "dev"]));
    }

    [Fact]
    public void At_most_three_are_suggested_nearest_first_then_by_name()
    {
        var nearest = RoomSuggestions.Nearest("team", ["teams", "tea", "tram", "beam", "team-a"]);

        Assert.Equal(RoomSuggestions.MaxSuggestions, nearest.Count);
        Assert.Equal(["beam", "tea", "teams"], nearest);
    }

    [Fact]
    public void Names_that_are_not_close_are_not_suggested()
    {
        Assert.Empty(RoomSuggestions.Nearest("ops", ["dev", "general", "oops-and-more"]));
        Assert.Empty(RoomSuggestions.Nearest("ops", []));
    }

    [Fact]
    public void Only_well_formed_room_names_from_the_list_are_repeated()
    {
        // A server may list anything; a name with controls or capitals is never shown back.
        Assert.Empty(RoomSuggestions.Nearest("ops", ["op\u001b", "Ops", "@ops+x", "op s"]));
    }

    [Fact]
    public void The_name_asked_for_is_not_suggested_to_itself()
    {
        Assert.Empty(RoomSuggestions.Nearest("ops", ["ops"]));
    }

    [Fact]
    public void The_message_names_the_room_and_the_suggestions()
    {
        Assert.Equal("There is no room 'opss'. Did you mean: ops?", RoomSuggestions.Describe("opss", ["ops"]));
        Assert.Equal("There is no room 'x'.", RoomSuggestions.Describe("x", []));
    }

    [Theory]
    [InlineData("Ops", "ops")]
    [InlineData("OPS-2.B_c", "ops-2.b_c")]
    [InlineData("ops", "ops")]
    [InlineData("@Alice+Bob", "@alice+bob")]
    public void Room_names_are_folded_to_lower_case(string given, string expected)
    {
        Assert.Equal(expected, RoomNames.Normalize(given));
    }

    [Fact]
    public void Only_ASCII_capitals_are_folded_so_a_look_alike_stays_invalid()
    {
        // The Kelvin sign lower-cases to 'k' under Unicode rules: folded that way, "\u212Aey" would be "key".
        Assert.Equal("\u212Aey", RoomNames.Normalize("\u212Aey"));
        Assert.False(RoomNames.IsValid(RoomNames.Normalize("\u212Aey")));
        Assert.Equal("\u00c9t\u00e9", RoomNames.Normalize("\u00c9t\u00e9"));
    }
}
