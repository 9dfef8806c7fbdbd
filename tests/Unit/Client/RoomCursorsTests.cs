using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Client;

public class RoomCursorsTests
{
    [Fact]
    public void A_room_opens_after_its_saved_position_unless_told_where()
    {
        var cursors = new RoomCursors(new Dictionary<string, ulong> { ["ops"] = 41 });

        Assert.Equal(42ul, cursors.Open("ops", null).Next);
        Assert.Equal(1ul, cursors.Open("dev", null).Next);
        cursors.Close("ops");
        Assert.Equal(7ul, cursors.Open("ops", 7).Next);
    }

    [Fact]
    public void A_position_only_moves_forward()
    {
        var cursors = new RoomCursors(new Dictionary<string, ulong>());

        Assert.True(cursors.Delivered("ops", 5));
        Assert.False(cursors.Delivered("ops", 3));
        Assert.Equal(5ul, cursors.ProcessedThrough("ops"));
    }

    [Fact]
    public void Leaving_a_room_forgets_its_position_but_a_closed_connection_keeps_it()
    {
        var cursors = new RoomCursors(new Dictionary<string, ulong> { ["ops"] = 9, ["dev"] = 4 });
        cursors.Open("ops", null);
        cursors.Open("dev", null);

        cursors.Close("dev");
        cursors.Forget("ops");

        Assert.Equal(0ul, cursors.ProcessedThrough("ops"));
        Assert.Equal(4ul, cursors.ProcessedThrough("dev"));
        Assert.Empty(cursors.Joined);
    }

    [Fact]
    public void A_consumer_that_took_the_positions_over_moves_them_itself()
    {
        var cursors = new RoomCursors(new Dictionary<string, ulong> { ["ops"] = 12, ["dev"] = 3 });

        // Its own saved state says ops was processed through 10: 11 and 12 are handed on again.
        cursors.TakeOver(new Dictionary<string, ulong> { ["ops"] = 10 });

        Assert.Equal(11ul, cursors.Open("ops", null).Next);
        Assert.Equal(3ul, cursors.ProcessedThrough("dev"));
        Assert.False(cursors.Delivered("ops", 11));
        Assert.Equal(10ul, cursors.ProcessedThrough("ops"));
        Assert.True(cursors.Advance("ops", 11));
        Assert.Equal(11ul, cursors.Snapshot()["ops"]);
    }

    [Fact]
    public void Positions_taken_over_are_saved_by_their_new_owner_alone_and_survive_a_leave()
    {
        var cursors = new RoomCursors(new Dictionary<string, ulong> { ["ops"] = 12 });
        Assert.Equal(12ul, cursors.ToSave()["ops"]);

        cursors.TakeOver(new Dictionary<string, ulong> { ["ops"] = 10 });
        cursors.Open("ops", null);
        cursors.Forget("ops");

        // One file: the client's state no longer carries them; the owner's saved state keeps the
        // room and how far it was processed, so a later join goes on from there.
        Assert.Empty(cursors.ToSave());
        Assert.Equal(10ul, cursors.ProcessedThrough("ops"));
    }
}

