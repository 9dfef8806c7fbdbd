using System.Text;
using System.Text.RegularExpressions;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client.History;

/// <summary>The history through real sessions on a live server: what a user sees again after a
/// restart, what counts as unread, where a late device's history begins, and that no profile file
/// holds a message's text or its room's name in clear.</summary>
public class SessionHistoryTests
{
    [Fact]
    public async Task Sent_and_received_messages_are_history_after_a_restart_and_reading_survives_it()
    {
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var alice = await h.SecureAsync(aliceProfile);
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "from alice");
        var last = await bob.SendAsync("ops", "from bob");
        await Eventually.TrueAsync(() => alice.UnreadCounts().GetValueOrDefault("ops") == 1, "bob's message unread for alice (her own never is)");
        var read = await SecureHarness.NextWithTextAsync(alice, "from bob");
        Assert.Equal(read.Sequence, alice.LastRead("ops"));
        Assert.Equal(0, alice.UnreadCounts().GetValueOrDefault("ops"));
        await bob.SendAsync("ops", "unread over the restart");
        await Eventually.TrueAsync(() => alice.UnreadCounts().GetValueOrDefault("ops") == 1, "the next one unread");
        await alice.DisposeAsync();

        await using var again = await h.SecureAsync(aliceProfile);
        Assert.Equal(last, again.LastRead("ops"));
        Assert.Equal(1, again.UnreadCounts().GetValueOrDefault("ops"));
        var history = again.GetHistory(new HistoryQuery { Room = "ops" }).Where(m => !m.IsNotice).ToList();
        Assert.Equal(["from alice", "from bob", "unread over the restart"], history.Select(m => m.Text));
        Assert.Equal([true, false, false], history.Select(m => m.IsOwn));
        Assert.All(history, m => Assert.True(m.Verified));
        Assert.Equal(["from bob"], again.GetHistory(new HistoryQuery { Match = new Regex("^from b"), Last = 5 }).Select(m => m.Text));
        Assert.Contains(again.GetHistory(new HistoryQuery { Room = "ops" }), m => m.IsNotice && m.Notice is MembershipNotice);
        Assert.False(again.HistoryBeginning("ops")!.EarlierExist);
    }

    [Fact]
    public async Task A_device_that_joins_later_is_told_its_history_begins_after_messages_it_cannot_read()
    {
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await alice.CreateRoomAsync("ops");
        await alice.SendAsync("ops", "said before carol came");
        await using var carol = await h.SecureAsync(await h.EnrollAsync("carol"));
        await carol.EnterAsync("ops");
        var welcome = await alice.SendAsync("ops", "welcome carol");
        await SecureHarness.NextWithTextAsync(carol, "welcome carol");

        var beginning = carol.HistoryBeginning("ops")!;
        Assert.True(beginning.EarlierExist);
        Assert.DoesNotContain(carol.GetHistory(new HistoryQuery { Room = "ops" }), m => m.Text == "said before carol came");
        Assert.True(beginning.FirstSequence <= welcome);
        Assert.False(alice.HistoryBeginning("ops")!.EarlierExist);
        Assert.Null(carol.HistoryBeginning("elsewhere"));
    }

    [Fact]
    public async Task No_profile_file_holds_a_messages_text_or_its_rooms_name_in_clear()
    {
        const string canary = "CANARY-history-5e81c0d2";
        const string room = "canaryroom-9d3b7a";
        await using var h = await ChatHarness.StartAsync();
        var aliceProfile = await h.EnrollAsync("alice");
        var bobProfile = await h.EnrollAsync("bob");
        var alice = await h.SecureAsync(aliceProfile);
        var bob = await h.SecureAsync(bobProfile);
        await alice.CreateRoomAsync(room);
        await bob.EnterAsync(room);
        await alice.SendAsync(room, canary + " from alice");
        await SecureHarness.NextWithTextAsync(bob, canary + " from alice");
        await bob.SendAsync(room, "reply " + canary);
        await SecureHarness.NextWithTextAsync(alice, "reply " + canary, 30_000);
        Assert.Single(alice.GetHistory(new HistoryQuery { Room = room, From = "bob" }), m => !m.IsNotice);

        // While the sessions are open (the write-ahead log holds the newest pages), and after.
        // The text is never in clear; the room's name may be, for a moment, in state.json, which
        // names the room of each publish the server has not acknowledged yet (see docs/security.md).
        AssertNoneHolds([aliceProfile.Path, bobProfile.Path], [canary], open: true);
        await alice.DisposeAsync();
        await bob.DisposeAsync();
        AssertNoneHolds([aliceProfile.Path, bobProfile.Path], [canary, room], open: false);
        Assert.True(File.Exists(Path.Combine(aliceProfile.Path, "history.db")));
    }

    private static void AssertNoneHolds(string[] directories, string[] secrets, bool open)
    {
        var needles = secrets.SelectMany(s => new[] { Encoding.UTF8.GetBytes(s), Encoding.Unicode.GetBytes(s), Encoding.BigEndianUnicode.GetBytes(s) }).ToList();
        var files = directories.SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories)).ToList();
        Assert.Contains(files, f => f.EndsWith("history.db", StringComparison.Ordinal));
        // An open session holds its lock file exclusively; it is read once the session closed.
        foreach (var file in files.Where(f => !open || !f.EndsWith("session.lock", StringComparison.Ordinal)))
        {
            FileStream stream;
            try
            {
                stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (IOException) when (open && Path.GetFileName(file).Contains(".tmp-", StringComparison.Ordinal))
            {
                // A state file being written (held exclusively, or renamed away since the listing):
                // what it holds is read as state.json once the sessions closed.
                continue;
            }

            using var _ = stream;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            foreach (var needle in needles)
            {
                Assert.True(copy.ToArray().AsSpan().IndexOf(needle) < 0, $"'{Encoding.UTF8.GetString(needle)}' found in clear in {Path.GetFileName(file)}");
            }
        }
    }
}
