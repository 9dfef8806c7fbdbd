using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Client.History;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client.History;

/// <summary>The history store and the session's side of it, without a server: what is kept, how it
/// is found again, what counts as unread, and what a damaged, foreign or newer file does.</summary>
public sealed class HistoryStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly Support.RecordingLoggerFactory _logs = new();
    private readonly byte[] _secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public HistoryStoreTests() => Directory.CreateDirectory(_temp.Path);

    public void Dispose() => _temp.Dispose();

    private SessionHistory Open(byte[]? secret = null, params (string Room, ulong Processed)[] followed) =>
        new(_temp.Path, new HistoryKeys(secret ?? _secret), followed, _logs.CreateLogger("history"));

    private static SecureMessage Message(string room, ulong sequence, string sender, string text, int minute, bool own = false) =>
        new(room, sequence, sender, "0A" + sender.Length, text, T0.AddMinutes(minute), T0.AddMinutes(minute).AddSeconds(-1), true, ContactTrust.Unverified, null, 1, false, 0)
        {
            IsOwn = own,
            MessageId = Guid.NewGuid(),
        };

    private static SecureMessage Notice(string room, ulong sequence, int minute) =>
        new(room, sequence, "dave", "0D", "", T0.AddMinutes(minute), T0.AddMinutes(minute), true, ContactTrust.Verified, null, 2, false, 0)
        {
            IsNotice = true,
            Notice = new MembershipNotice(MembershipNoticeKind.Joined, "dave", ["alice", "bob", "dave"]),
        };

    private static string Json(SecureMessage m) => JsonSerializer.Serialize(m, HistoryJson.Default.SecureMessage);

    private static SessionHistory Filled(SessionHistory history)
    {
        history.Record(Message("ops", 3, "alice", "deploying 2026.1", 1, own: true));
        history.Record(Message("ops", 5, "Bob", "looks good", 2));
        history.Record(Notice("ops", 6, 3));
        history.Record(Message("dev", 2, "carol", "build is red", 4));
        history.Record(Message("ops", 8, "bob", "rollback please", 5));
        history.Record(Message("dev", 4, "alice", "fixed the build", 6, own: true));
        return history;
    }

    [Fact]
    public void An_attachment_comes_back_with_its_key_so_the_file_can_still_be_saved_later()
    {
        var file = new OpenChat.Engine.Files.FileAttachment(Guid.NewGuid(), "build.log", 70_000, 65_536, 2,
            Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray(), Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray());
        using (var history = Open())
        {
            history.Record(Message("ops", 4, "bob", "", 1) with { Attachment = file });
        }

        using var again = Open();
        var back = Assert.Single(again.Get(new HistoryQuery { Room = "ops" })).Attachment;
        Assert.NotNull(back);
        Assert.Equal((file.FileId, file.Name, file.Size, file.ChunkSize, file.ChunkCount), (back.FileId, back.Name, back.Size, back.ChunkSize, back.ChunkCount));
        Assert.Equal(file.Sha256, back.Sha256);
        Assert.Equal(file.Key, back.Key);
    }

    [Fact]
    public void Every_kind_of_record_comes_back_whole_after_a_reopen()
    {
        var refused = new SecureMessage("ops", 9, "mallory", "0C", "", T0, T0, false, ContactTrust.Unverified, "Chat refused: bad signature", 1, false, 0);
        var written = new[] { Message("ops", 3, "alice", "héllo ✓ \u001b[31m", 1, own: true), Notice("ops", 6, 3), refused };
        using (var history = Open())
        {
            foreach (var m in written)
            {
                history.Record(m);
            }
        }

        using var again = Open();
        Assert.Equal(written.Select(Json), again.Get(new HistoryQuery { Room = "ops" }).Select(Json));
    }

    [Fact]
    public void A_record_is_kept_once_per_room_and_sequence()
    {
        using var history = Open();
        var m = Message("ops", 3, "bob", "once", 1);
        history.Record(m);
        history.Flush();
        history.Record(m with { Text = "twice" });
        Assert.Equal(["once"], history.Get(new HistoryQuery()).Select(x => x.Text));
        Assert.Equal(1, history.UnreadCounts()["ops"]);
    }

    [Fact]
    public void Notices_the_device_makes_up_itself_are_not_history()
    {
        using var history = Open();
        history.Record(Message("ops", 0, "alice", "", 1, own: true) with { Problem = "MessageTooLarge" });
        history.Record(Message("ops", 7, "", "", 1) with { Notice = new UnreadDroppedNotice(5, 100) });
        Assert.Empty(history.Get(new HistoryQuery()));
    }

    [Fact]
    public void One_room_comes_in_sequence_order_and_all_rooms_in_time_order_newest_last()
    {
        using var history = Filled(Open());
        Assert.Equal([3UL, 5, 6, 8], history.Get(new HistoryQuery { Room = "ops" }).Select(m => m.Sequence));
        Assert.Equal(["ops", "ops", "ops", "dev", "ops", "dev"], history.Get(new HistoryQuery()).Select(m => m.Room));
        Assert.Equal(["rollback please", "fixed the build"], history.Get(new HistoryQuery { Last = 2 }).Select(m => m.Text));
    }

    [Fact]
    public void Each_filter_narrows_what_comes_back()
    {
        using var history = Filled(Open());
        Assert.Equal(["build is red", "fixed the build"], history.Get(new HistoryQuery { Room = "DEV" }).Select(m => m.Text));
        Assert.Equal(["looks good", "rollback please"], history.Get(new HistoryQuery { From = "BOB" }).Select(m => m.Text));
        Assert.Equal(["build is red", "rollback please", "fixed the build"], history.Get(new HistoryQuery { Since = T0.AddMinutes(4) }).Select(m => m.Text));
        Assert.Equal(["deploying 2026.1", "looks good"], history.Get(new HistoryQuery { Before = T0.AddMinutes(3) }).Select(m => m.Text));
        Assert.Equal(["build is red", "fixed the build"], history.Get(new HistoryQuery { Match = new Regex("BUILD", RegexOptions.IgnoreCase) }).Select(m => m.Text));
        Assert.Equal(["rollback please"], history.Get(new HistoryQuery { Room = "ops", From = "bob", Match = new Regex("^r"), Last = 5 }).Select(m => m.Text));
        // Notices have no text: a pattern that needs a character never matches one.
        Assert.DoesNotContain(history.Get(new HistoryQuery { Match = new Regex(".") }), m => m.IsNotice);
        Assert.Equal(["looks good"], history.Get(new HistoryQuery { Since = T0.AddMinutes(2), Before = T0.AddMinutes(2).AddTicks(1) }).Select(m => m.Text));
    }

    [Fact]
    public void BeforeSequence_pages_back_through_one_room()
    {
        using var history = Open();
        for (ulong s = 1; s <= 25; s++)
        {
            history.Record(Message("ops", s, "bob", $"m{s}", (int)s));
        }

        var page = history.Get(new HistoryQuery { Room = "ops", Last = 10 });
        var pages = new List<ulong[]> { page.Select(m => m.Sequence).ToArray() };
        while (page.Count > 0)
        {
            page = history.Get(new HistoryQuery { Room = "ops", Last = 10, BeforeSequence = page[0].Sequence });
            pages.Add(page.Select(m => m.Sequence).ToArray());
        }

        Assert.Equal([10, 10, 5, 0], pages.Select(p => p.Length));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (ulong)i), pages.AsEnumerable().Reverse().SelectMany(p => p));
        Assert.Throws<ArgumentException>(() => history.Get(new HistoryQuery { BeforeSequence = 5 }));
    }

    [Fact]
    public void Unread_counts_only_messages_from_others_and_reading_moves_LastRead_for_good()
    {
        using (var history = Filled(Open()))
        {
            Assert.Equal(new Dictionary<string, int> { ["ops"] = 2, ["dev"] = 1 }, history.UnreadCounts());
            Assert.Equal(0UL, history.LastRead("ops"));
            history.MarkRead(Message("ops", 5, "bob", "looks good", 2));
            Assert.Equal(5UL, history.LastRead("ops"));
            Assert.Equal(1, history.UnreadCounts()["ops"]);
            history.MarkRead(Message("ops", 3, "alice", "older", 1));
            Assert.Equal(5UL, history.LastRead("ops")); // never back
        }

        using var again = Open();
        Assert.Equal(5UL, again.LastRead("ops"));
        Assert.Equal(new Dictionary<string, int> { ["ops"] = 1, ["dev"] = 1 }, again.UnreadCounts());
        again.MarkRead(Message("dev", 2, "carol", "build is red", 4));
        Assert.False(again.UnreadCounts().ContainsKey("dev"));
    }

    [Fact]
    public void Taking_ones_own_message_or_a_notice_does_not_read_an_earlier_message_of_someone_else()
    {
        using var history = Open();
        history.Record(Message("@alice+bob", 3, "bob", "not seen yet", 1));
        history.Record(Message("@alice+bob", 4, "alice", "my reply from another screen", 2, own: true));
        history.Record(Notice("@alice+bob", 5, 3));
        history.MarkRead(Message("@alice+bob", 4, "alice", "my reply from another screen", 2, own: true));
        history.MarkRead(Notice("@alice+bob", 5, 3));
        Assert.Equal((0UL, 1), (history.LastRead("@alice+bob"), history.UnreadCounts()["@alice+bob"]));
        history.MarkRead(Message("@alice+bob", 3, "bob", "not seen yet", 1));
        history.MarkRead(Notice("@alice+bob", 5, 3));
        Assert.Equal(5UL, history.LastRead("@alice+bob"));
        Assert.Empty(history.UnreadCounts());
    }

    [Fact]
    public void A_history_written_under_another_identity_cannot_be_read()
    {
        using (var history = Filled(Open()))
        {
        }

        var other = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var refusal = Assert.Throws<OpenChatException>(() => Open(other));
        Assert.Equal(ErrorIds.StoreUnavailable, refusal.ErrorId);
        using var again = Open();
        Assert.Equal(6, again.Get(new HistoryQuery()).Count);
    }

    [Fact]
    public void A_damaged_or_moved_record_is_skipped_with_a_log_line()
    {
        using (var history = Filled(Open()))
        {
        }

        using (var sqlite = new SqliteConnection($"Data Source={HistoryStore.PathIn(_temp.Path)};Pooling=False"))
        {
            sqlite.Open();
            using var command = sqlite.CreateCommand();
            // One record altered in place, another moved to a sequence it was not sealed for.
            command.CommandText = """
                UPDATE messages SET data = substr(data, 1, 20) || X'00' || substr(data, 22) WHERE seq = 5;
                UPDATE messages SET seq = 7 WHERE seq = 8;
                """;
            command.ExecuteNonQuery();
        }

        using var again = Open();
        _logs.Events.Clear(); // opening reads the unread ones (and logs the same two)
        Assert.Equal([3UL, 6], again.Get(new HistoryQuery { Room = "ops" }).Select(m => m.Sequence));
        Assert.Equal(2, _logs.Events.Count(e => e.EventId == 2550));
        Assert.DoesNotContain(_logs.Events, e => e.Message.Contains("ops", StringComparison.Ordinal));
    }

    [Fact]
    public void A_history_of_a_newer_schema_is_refused()
    {
        using (Open())
        {
        }

        using (var sqlite = new SqliteConnection($"Data Source={HistoryStore.PathIn(_temp.Path)};Pooling=False"))
        {
            sqlite.Open();
            using var command = sqlite.CreateCommand();
            command.CommandText = $"PRAGMA user_version={HistorySchema.Version + 1};";
            command.ExecuteNonQuery();
        }

        Assert.Equal(ErrorIds.StoreVersionUnsupported, Assert.Throws<OpenChatException>(() => Open()).ErrorId);
    }

    [Fact]
    public void The_beginning_says_whether_earlier_messages_were_unreadable_here()
    {
        using var history = Open();
        Assert.Null(history.Beginning("ops"));
        history.NoteUnreadable("ops", 4); // before this device joined
        history.Record(Notice("ops", 6, 3));
        history.Record(Message("ops", 7, "bob", "welcome", 4));
        history.NoteUnreadable("ops", 12); // after it was removed: not before its history
        history.Record(Message("dev", 2, "bob", "founded here", 1));
        Assert.Equal(new HistoryBeginning(6, T0.AddMinutes(3), true), history.Beginning("ops"));
        Assert.Equal(new HistoryBeginning(2, T0.AddMinutes(1), false), history.Beginning("dev"));
    }

    [Fact]
    public void A_new_history_of_rooms_already_followed_begins_after_what_was_read_before_it()
    {
        using var history = Open(null, ("ops", 40), ("dev", 0));
        history.Record(Message("ops", 41, "bob", "first kept", 1));
        history.Record(Message("dev", 1, "bob", "from the start", 1));
        Assert.True(history.Beginning("ops")!.EarlierExist);
        Assert.False(history.Beginning("dev")!.EarlierExist);
    }

    [Fact]
    public void A_write_that_fails_is_logged_and_counted_and_nothing_is_thrown()
    {
        using var history = Open();
        using var blocker = new SqliteConnection($"Data Source={HistoryStore.PathIn(_temp.Path)};Pooling=False;Default Timeout=1");
        blocker.Open();
        using (var command = blocker.CreateCommand())
        {
            command.CommandText = "BEGIN EXCLUSIVE;";
            command.ExecuteNonQuery();
        }

        history.Record(Message("ops", 3, "bob", "kept in memory", 1));
        history.Flush();
        Assert.Equal(1, history.Failures);
        Assert.Contains(_logs.Events, e => e.EventId == 2551);
        Assert.Equal(1, history.UnreadCounts()["ops"]);
    }

    [Fact]
    public void The_history_file_is_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var history = Filled(Open());
        history.Flush();
        foreach (var file in Directory.GetFiles(_temp.Path, HistoryStore.FileName + "*"))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }
}
