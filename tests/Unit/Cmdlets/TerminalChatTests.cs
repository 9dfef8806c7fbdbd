using System.Text.RegularExpressions;
using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>Enter-ChatRoom's screen through its console seam: alice's chat runs on a
/// <see cref="TestChatConsole"/> against a real server, bob is a real secure session in the room.</summary>
public class TerminalChatTests
{
    [Fact]
    public async Task A_line_typed_and_entered_reaches_the_other_member()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("hello bob from the terminal");

        var received = await SecureHarness.NextWithTextAsync(chat.Bob, "hello bob from the terminal");
        Assert.Equal(("alice", true), (received.Sender, received.Verified));
        // Marked pending until the server has it, then shown as sent, with the signed mark.
        await chat.Console.WaitForTextAsync(@"^\d\d:\d\d ✓ alice: hello bob from the terminal$");
    }

    [Fact]
    public async Task A_message_from_another_member_is_shown_under_their_name()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        await chat.Bob.SendAsync("ops", "hi alice, loud and clear");
        await chat.Console.WaitForTextAsync(@"^\d\d:\d\d · bob: hi alice, loud and clear$");
    }

    [Fact]
    public async Task Escape_sequences_bidi_controls_and_a_carriage_return_from_another_member_are_shown_not_obeyed()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        await chat.Bob.SendAsync("ops", "\u001b[2J\u001b]0;owned\u0007\u001b[5mblink \u202eevil\r12:00 ✓ carol: fake line");

        var screen = await chat.Console.WaitForTextAsync(Regex.Escape(@"bob: ␛[2J␛]0;owned␇␛[5mblink \u202eevil␍12:00 ✓ carol: fake line"));
        Assert.Contains("Joined ops", screen); // the screen was not cleared
        Assert.DoesNotMatch(@"(?m)^12:00 ✓ carol", screen); // the fake line stays inside bob's
        Assert.Empty(chat.Console.Read(s => s.Unexpected.ToList())); // every sequence written was the screen's own
        var output = chat.Console.Output;
        Assert.Single(Regex.Matches(output, Regex.Escape("\u001b[2J"))); // the one of the first layout
        // Ordinal: a culture-aware search ignores control characters and finds "]" for ESC ].
        Assert.DoesNotContain("\u001b]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[5m", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\u202e', output);
        Assert.DoesNotContain('\r', output);
    }

    [Fact]
    public async Task Backspace_takes_the_last_character_and_Esc_clears_the_line_before_it_is_sent()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Type("scrap this");
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> scrap this", "the typed line");
        chat.Console.Press(ConsoleKey.Escape, '\u001b');
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == ">", "the cleared line");
        chat.Console.Type("helx");
        chat.Console.Press(ConsoleKey.Backspace, '\b');
        chat.Console.Type("lo world");
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> hello world", "the edited line");
        chat.Console.Press(ConsoleKey.Enter, '\r');

        Assert.Equal("hello world", (await SecureHarness.NextAsync(chat.Bob)).Text); // the first message bob gets
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == ">", "the line emptied by Enter");
    }

    [Fact]
    public async Task Quit_ends_the_chat_and_gives_the_terminal_back()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/quit");
        await chat.Running.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(chat.Console.Read(s => s.Autowrap && !s.HasScrollRegion));
    }

    [Fact]
    public async Task Ctrl_C_cancelling_the_cmdlet_ends_the_chat()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Stop.Cancel();
        await chat.Running.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(chat.Console.Read(s => s.Autowrap && !s.HasScrollRegion));
    }

    [Fact]
    public async Task Who_lists_the_members_with_their_presence_and_rooms_marks_the_room_on_screen()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/who");
        var screen = await chat.Console.WaitForTextAsync("In ops: ");
        Assert.Matches(@"In ops: .*alice \(online\)", screen);
        Assert.Matches(@"In ops: .*bob \(online\)", screen);

        chat.Console.Enter("/rooms");
        Assert.Matches(@"Rooms: .*\*ops", await chat.Console.WaitForTextAsync("Rooms: "));
    }

    [Fact]
    public async Task Verify_shows_the_safety_number_and_marks_the_contact_only_after_a_yes()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/verify bob");
        await chat.Console.WaitForTextAsync("(y/N)");
        chat.Console.Type("n");
        await chat.Console.WaitForTextAsync("bob was not marked verified.");
        Assert.NotEqual(ContactTrust.Verified, chat.Alice.Contacts().Single(c => c.UserName == "bob").Trust);

        chat.Console.Enter("/verify bob");
        await chat.Console.WaitForTextAsync("(y/N)");
        chat.Console.Type("y");
        await chat.Console.WaitForTextAsync("Marked bob verified.");
        Assert.Equal(ContactTrust.Verified, chat.Alice.Contacts().Single(c => c.UserName == "bob").Trust);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_explains_the_marks_before_a_name()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/help");
        var screen = await chat.Console.WaitForTextAsync("KEY CHANGED");
        Assert.Contains("/verify USER", screen, StringComparison.Ordinal);
        Assert.Matches("✓ you verified", screen);
        Assert.Matches("· not verified yet", screen);
    }

    [Fact]
    public async Task A_long_incoming_line_is_wrapped_to_the_window_and_indented_under_the_sender()
    {
        await using var chat = await AliceOnScreen.StartAsync(width: 40, height: 20);
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => (char)('a' + (i % 26))));
        await chat.Bob.SendAsync("ops", text);

        List<string> Message(VtScreen s) =>
            [.. s.Rows.Take(s.Height - 2).SkipWhile(r => !r.Contains("bob: ", StringComparison.Ordinal)).TakeWhile(r => r.Length > 0)];
        string Shown(List<string> rows) => rows.Count == 0 ? "" : rows[0][(rows[0].IndexOf("bob: ", StringComparison.Ordinal) + 5)..] + string.Concat(rows.Skip(1).Select(r => r.TrimStart()));
        await chat.Console.WaitForAsync(s => Shown(Message(s)) == text, "the whole message");
        var message = chat.Console.Read(Message);
        Assert.True(message.Count > 8, string.Join('\n', message));
        Assert.All(message.Skip(1), r => Assert.StartsWith(new string(' ', 2), r));
        Assert.Equal(0, chat.Console.Read(s => s.CutCharacters)); // no row was wider than the window
    }

    [Fact]
    public async Task A_line_typed_longer_than_the_window_shows_its_end()
    {
        await using var chat = await AliceOnScreen.StartAsync(width: 40, height: 20);
        var typed = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + (i % 26))));
        chat.Console.Type(typed);
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> " + typed[^37..], "the end of the typed line");
        Assert.Equal(0, chat.Console.Read(s => s.CutCharacters));
    }

    [Fact]
    public async Task A_resized_window_is_laid_out_again_with_the_messages_kept()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        await chat.Bob.SendAsync("ops", "before the resize");
        await chat.Console.WaitForTextAsync("bob: before the resize");

        chat.Console.Resize(70, 14);
        var screen = await chat.Console.WaitForAsync(
            s => s.Height == 14 && s.Row(13).StartsWith('>') && s.Row(12).StartsWith(" ops | alice@", StringComparison.Ordinal), "the new layout");
        Assert.Contains("bob: before the resize", screen);
    }

    [Fact]
    public async Task A_command_that_fails_is_shown_on_the_screen_and_logged_without_what_was_typed()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/join not/a-room");
        await chat.Console.WaitForTextAsync(OpenChat.Engine.ErrorIds.RoomNameInvalid + ": ");

        var logged = Assert.Single(chat.Log.Take());
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, logged.Level);
        Assert.Contains("TerminalCommandRefused", logged.Text);
        Assert.Contains("/join", logged.Text);
        Assert.Contains(OpenChat.Engine.ErrorIds.RoomNameInvalid, logged.Text);
        Assert.DoesNotContain("not/a-room", logged.Text);
    }

    private static MemoryRoomHistory Numbered(int count, string room = "ops") =>
        Enumerable.Range(1, count).Aggregate(new MemoryRoomHistory(), (h, i) => h.Add(MemoryRoomHistory.Message(room, 1000 + (ulong)i, "carol", $"message {i:000}")));

    private static int RowOf(VtScreen s, string text) => s.Rows.ToList().FindIndex(r => r.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task A_room_opens_with_its_recent_history_and_a_marker_where_the_unread_part_begins()
    {
        var history = Numbered(10).Read("ops", 1007);
        // Alice's own message after what she read is not unread: the marker comes after it.
        history.Add(MemoryRoomHistory.Message("ops", 1008, "alice", "my own word") with { IsOwn = true, SenderTrust = ContactTrust.Verified });
        await using var chat = await AliceOnScreen.StartAsync(history: history);

        var screen = await chat.Console.WaitForTextAsync("message 010");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(screen, "unread"));
        var (seven, own, marker, nine) = chat.Console.Read(s => (RowOf(s, "carol: message 007"), RowOf(s, "alice: my own word"), RowOf(s, "── unread ──"), RowOf(s, "carol: message 009")));
        Assert.Equal([seven + 1, seven + 2, seven + 3], [own, marker, nine]);
        Assert.DoesNotContain("message 008", screen, StringComparison.Ordinal); // replaced by alice's own at 1008
        Assert.True(RowOf(chat.Console.Read(s => s), "Joined ops") > nine, screen);
    }

    [Fact]
    public async Task An_unread_part_longer_than_the_screen_opens_at_its_marker_and_End_goes_to_the_newest()
    {
        await using var chat = await AliceOnScreen.StartAsync(history: Numbered(60).Read("ops", 1010));
        var screen = await chat.Console.WaitForAsync(s => s.Row(0).Contains("── unread ──", StringComparison.Ordinal), "the marker on the top row");
        Assert.Contains("message 011", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("message 060", screen, StringComparison.Ordinal);
        // Notices of the session (members' keys) that came after the marker may be counted below.
        Assert.Matches(@"(?m)^ SCROLLED BACK: (\d+ new below, )?End returns \| ops \| alice@", screen);

        chat.Console.Press(ConsoleKey.End);
        screen = await chat.Console.WaitForTextAsync(@"(?m)^ ops \| alice@");
        Assert.Contains("message 060", screen, StringComparison.Ordinal);
        Assert.Contains("Joined ops", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PageUp_scrolls_back_new_messages_wait_below_counted_and_PageDown_returns_to_them()
    {
        await using var chat = await AliceOnScreen.StartAsync(history: Numbered(100).Read("ops", 1100));
        await chat.Console.WaitForTextAsync("message 100");
        chat.Console.Press(ConsoleKey.PageUp);
        var screen = await chat.Console.WaitForTextAsync(@"(?m)^ SCROLLED BACK: End returns \| ops \|");
        Assert.Contains("message 080", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("message 100", screen, StringComparison.Ordinal);

        await chat.Bob.SendAsync("ops", "said while alice scrolled back");
        screen = await chat.Console.WaitForTextAsync(@"(?m)^ SCROLLED BACK: 1 new below, End returns \| ops \|");
        Assert.DoesNotContain("said while alice scrolled back", screen, StringComparison.Ordinal);
        Assert.Contains("message 080", screen, StringComparison.Ordinal); // the view stayed

        chat.Console.Press(ConsoleKey.PageDown);
        chat.Console.Press(ConsoleKey.PageDown);
        screen = await chat.Console.WaitForTextAsync(@"(?m)^ ops \| alice@");
        Assert.Matches(@"(?m)^\d\d:\d\d · bob: said while alice scrolled back$", screen);
        Assert.DoesNotContain("SCROLLED BACK", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PageUp_past_the_history_shown_on_entry_reads_older_history_up_to_the_note_on_where_it_begins()
    {
        var history = Numbered(300).WithEarlierUnreadable("ops").Read("ops", 1300);
        await using var chat = await AliceOnScreen.StartAsync(history: history);
        await chat.Console.WaitForTextAsync("message 300");
        Assert.Equal(0, history.BeforeCalls); // the last 200 came on entry

        for (var i = 0; i < 20; i++)
        {
            chat.Console.Press(ConsoleKey.PageUp);
        }

        var screen = await chat.Console.WaitForAsync(s => s.Row(0).StartsWith("Earlier messages of ops were sent before this device joined", StringComparison.Ordinal)
            && s.Rows.Any(r => r.EndsWith("carol: message 001", StringComparison.Ordinal)), "the beginning of the history");
        Assert.Contains("cannot be read here", screen, StringComparison.Ordinal);
        Assert.Equal(1, history.BeforeCalls); // once, then the beginning was known
        Assert.Contains("end-to-end", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_room_with_nothing_says_it_has_no_messages_and_one_joined_after_its_start_says_why_nothing_earlier_shows()
    {
        var history = new MemoryRoomHistory().WithEarlierUnreadable("dev");
        await using var chat = await AliceOnScreen.StartAsync(history: history);
        await chat.Console.WaitForTextAsync(@"(?m)^No messages in ops yet\.$");

        chat.Console.Enter("/create dev");
        var screen = await chat.Console.WaitForTextAsync(@"(?m)^ dev \| alice@");
        Assert.StartsWith("Earlier messages of dev were sent before this device joined and cannot be read here", chat.Console.Read(s => s.Rows.First(r => r.Length > 0)), StringComparison.Ordinal);
        Assert.DoesNotContain("No messages in ops", screen, StringComparison.Ordinal); // the screen is dev's now
    }

    [Fact]
    public async Task A_message_both_in_the_history_and_still_waiting_in_the_session_is_shown_once()
    {
        var history = new MemoryRoomHistory();
        await using var chat = await AliceOnScreen.StartAsync(history: history, before: async screen =>
        {
            foreach (var text in new[] { "one from before", "two from before", "three from before" })
            {
                history.Add(MemoryRoomHistory.Message("ops", await screen.Bob.SendAsync("ops", text), "bob", text));
            }

            // Alice's session has them too, waiting to be handed out.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (screen.Alice.UnreadCounts().GetValueOrDefault("ops") < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "alice's session never received bob's messages");
                await Task.Delay(20);
            }
        });

        await chat.Bob.SendAsync("ops", "four said live");
        var screen = await chat.Console.WaitForTextAsync("bob: four said live");
        foreach (var text in new[] { "one from before", "two from before", "three from before" })
        {
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(screen, text));
        }

        Assert.Equal(0, chat.Alice.UnreadCounts().GetValueOrDefault("ops")); // taken from the session all the same
    }

    [Fact]
    public async Task A_resize_draws_the_history_again_rewrapped_for_the_new_width()
    {
        var texts = Enumerable.Range(0, 4).Select(i => $"m{i}" + string.Concat(Enumerable.Range(0, 150).Select(c => (char)('a' + ((c + i) % 26))))).ToList();
        var history = texts.Select((t, i) => MemoryRoomHistory.Message("ops", 1000 + (ulong)i, "carol", t)).Aggregate(new MemoryRoomHistory().Read("ops", 2000), (h, m) => h.Add(m));
        await using var chat = await AliceOnScreen.StartAsync(history: history);
        await chat.Console.WaitForTextAsync("carol: m3");
        // Every notice drawn (bob's join names him a new member) and the view at the newest, so
        // that nothing (a "new below" count in the status line) is drawn at the old width after the resize.
        await chat.Console.WaitForTextAsync("NEW MEMBER bob");
        chat.Console.Press(ConsoleKey.End);
        await chat.Console.WaitForAsync(s => s.Row(22).StartsWith(" ops | alice@", StringComparison.Ordinal), "the view at the newest");

        // Tall enough for the four messages and the room's notices.
        chat.Console.Resize(50, 34);
        await chat.Console.WaitForAsync(s => s.Row(32).StartsWith(" ops | alice@", StringComparison.Ordinal), "the new layout");
        var rows = chat.Console.Read(s => s.Rows.Take(32).ToList());
        var joined = string.Concat(rows.Select(r => r.TrimStart()));
        Assert.All(texts, t => Assert.Contains(t, joined, StringComparison.Ordinal)); // every message whole, in order of its rows
        Assert.All(rows, r => Assert.InRange(r.Length, 0, 50));
        Assert.True(rows.Count(r => r.Contains("carol: m", StringComparison.Ordinal)) == 4);
        Assert.Equal(0, chat.Console.Read(s => s.CutCharacters));
    }

    [Fact]
    public async Task Leave_switches_to_the_room_before_and_leaving_the_last_one_keeps_the_chat_usable()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/create dev");
        await chat.Console.WaitForTextAsync(@"(?m)^ dev \| alice@");

        chat.Console.Enter("/leave");
        var screen = await chat.Console.WaitForTextAsync(@"(?m)^ ops \| alice@");
        Assert.Contains("Left dev. Now in ops.", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("dev", chat.Alice.Client.JoinedRooms);

        chat.Console.Enter("/leave");
        screen = await chat.Console.WaitForTextAsync(@"(?m)^ \(no room\) \| alice@");
        Assert.Contains("Left ops. You are in no other room", screen, StringComparison.Ordinal);

        chat.Console.Enter("still here");
        await chat.Console.WaitForTextAsync("You are in no room");
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> still here", "the line back in the input");
        chat.Console.Press(ConsoleKey.Escape, '\u001b');
        chat.Console.Enter("/join ops");
        await chat.Console.WaitForTextAsync(@"(?m)^ ops \| alice@");
        chat.Console.Enter("back again");
        Assert.Equal("back again", (await SecureHarness.NextWithTextAsync(chat.Bob, "back again")).Text);
    }

    [Fact]
    public async Task Join_of_a_missing_room_suggests_the_nearest_and_says_how_to_create_it_and_creates_nothing()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/join opss");

        await chat.Console.WaitForTextAsync(Regex.Escape("RoomNotFound: There is no room 'opss'. Did you mean: ops? Create it with /create opss."));
        Assert.DoesNotContain(await chat.Bob.ListRoomsAsync(), r => r.Name == "opss");
        Assert.DoesNotContain("opss", chat.Alice.Client.JoinedRooms);
    }

    [Fact]
    public async Task Create_makes_a_new_room_and_switches_to_it_and_help_names_it()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/help");
        await chat.Console.WaitForTextAsync(Regex.Escape("/create ROOM"));

        chat.Console.Enter("/create Dev");

        await chat.Console.WaitForTextAsync("Created dev. Now in dev.");
        await chat.Bob.EnterAsync("dev"); // it exists now, for others to join
        Assert.Contains(await chat.Bob.ListRoomsAsync(), r => r.Name == "dev" && r.Members == 2);
    }

    [Fact]
    public async Task Op_and_kick_change_the_room_on_screen_and_help_names_them()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/help");
        await chat.Console.WaitForTextAsync(Regex.Escape("/add /kick /op /deop USER (/help admin)"));
        chat.Console.Enter("/help admin");
        await chat.Console.WaitForTextAsync(Regex.Escape("/kick USER removes a user"));

        chat.Console.Enter("/op bob");
        await chat.Console.WaitForTextAsync("bob is now an admin of ops.");
        await Eventually.TrueAsync(() => chat.Bob.MemberRoles("ops").Any(r => r is { UserName: "bob", Role: Engine.Group.RoomRole.Admin }), "bob to see himself an admin");

        chat.Console.Enter("/deop bob");
        await chat.Console.WaitForTextAsync("bob is now a member");
        chat.Console.Enter("/deop alice");
        await chat.Console.WaitForTextAsync("RoomRoleRefused: The members of .ops. would refuse this change");

        chat.Console.Enter("/kick bob");
        await chat.Console.WaitForTextAsync("Removed bob from ops");
        await chat.Console.WaitForTextAsync("alice removed bob from the room");
        Assert.Equal([chat.Alice.UserName], chat.Alice.GroupMembers("ops"));
    }

    [Fact]
    public async Task A_mistyped_word_after_create_or_add_is_refused_and_changes_nothing()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/create dev privat");
        await chat.Console.WaitForTextAsync(Regex.Escape("'privat' is not 'private'; nothing was created."));
        chat.Console.Enter("/add bob admn");
        await chat.Console.WaitForTextAsync(Regex.Escape("/add: 'admn' is not understood; nothing was changed."));
        chat.Console.Enter("/create ops2 private");
        await chat.Console.WaitForTextAsync("Created the private room ops2. Now in ops2.");

        Assert.DoesNotContain(await chat.Bob.ListRoomsAsync(), r => r.Name == "dev");
        Assert.DoesNotContain("dev", chat.Alice.Client.JoinedRooms);
        Assert.Null(chat.Alice.MemberRoles("ops").Single(r => r.UserName == "bob").Role);
    }

    /// <summary>Alice's chat screen in "ops" on a test console, run on a thread of its own as the
    /// cmdlet runs it on the pipeline thread; bob is in the room too.</summary>
    private sealed class AliceOnScreen : IAsyncDisposable
    {
        private ChatHarness _harness = null!;
        private SecureSession _alice = null!;

        public SecureSession Alice => _alice;

        public SecureSession Bob { get; private set; } = null!;

        public TestChatConsole Console { get; private set; } = null!;

        public DeferredLogger Log { get; } = new();

        public CancellationTokenSource Stop { get; } = new();

        public Task Running { get; private set; } = Task.CompletedTask;

        public static async Task<AliceOnScreen> StartAsync(int width = 110, int height = 24, IRoomHistory? history = null, Func<AliceOnScreen, Task>? before = null)
        {
            var screen = new AliceOnScreen { _harness = await ChatHarness.StartAsync() };
            screen._alice = await screen._harness.SecureAsync(await screen._harness.EnrollAsync("alice"));
            screen.Bob = await screen._harness.SecureAsync(await screen._harness.EnrollAsync("bob"));
            await screen._alice.CreateRoomAsync("ops");
            await screen.Bob.EnterAsync("ops");
            if (before is not null)
            {
                await before(screen); // what happened in the room before alice opened the screen
            }

            screen.Console = new TestChatConsole(width, height);
            var chat = new TerminalChat(new ChatSession(screen._alice), "ops", screen.Console, history ?? new MemoryRoomHistory(), screen.Log, screen.Stop.Token);
            screen.Running = Task.Factory.StartNew(chat.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await screen.Console.WaitForTextAsync(@"(Joined ops\.(.|\n)*|SCROLLED BACK.*)\| Connected");
            return screen;
        }

        public async ValueTask DisposeAsync()
        {
            Stop.Cancel();
            try
            {
                await Running.WaitAsync(TimeSpan.FromSeconds(20));
            }
            finally
            {
                await _alice.DisposeAsync();
                await Bob.DisposeAsync();
                await _harness.DisposeAsync();
                Stop.Dispose();
            }
        }
    }
}
